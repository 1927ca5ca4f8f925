import ViTTensor
