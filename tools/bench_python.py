"""The Python side of ViTKit's benchmarks, timed on the same machine in the same run as vit-bench.

Usage (tools/.venv/bin/python tools/bench_python.py TASK ...):
  forward MODEL BATCH REPEAT       timm eager CPU forward, 2 threads, random weights; prints median/min ms
  read-safetensors FILE REPEAT     safetensors.numpy.load_file of every tensor into float32 arrays
  read-h5 FILE REPEAT              h5py read of every dataset into float32 arrays
  convert-h5 IN OUT                the conversion a user would write: h5py read + safetensors save_file
  convert-safetensors IN OUT       safetensors load_file + save_file (a re-save)
  summary MODEL                    torchinfo.summary of the timm model (whole process timed by the caller)
Each prints one line `name median_ms=<x> min_ms=<y>` (or the tool's own output for summary).
"""
import statistics, sys, time


def timed(fn, repeat):
    fn()  # warm-up
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts), min(ts)


def main():
    task = sys.argv[1]
    if task == "forward":
        import torch, timm
        torch.set_num_threads(2)
        name, batch, repeat = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        m = timm.create_model(name, pretrained=False).eval()
        x = torch.randn(batch, 3, 224, 224)
        with torch.inference_mode():
            med, mn = timed(lambda: m(x), repeat)
        print(f"torch-forward {name} batch={batch} median_ms={med:.2f} min_ms={mn:.2f}")
    elif task == "read-safetensors":
        import numpy as np
        from safetensors.numpy import load_file
        path, repeat = sys.argv[2], int(sys.argv[3])
        med, mn = timed(lambda: {k: v.astype(np.float32, copy=False) for k, v in load_file(path).items()}, repeat)
        print(f"python-read-safetensors median_ms={med:.2f} min_ms={mn:.2f}")
    elif task == "read-h5":
        import numpy as np, h5py
        path, repeat = sys.argv[2], int(sys.argv[3])

        def read():
            out = {}
            with h5py.File(path, "r") as f:
                f.visititems(lambda n, o: out.__setitem__(n, o[()].astype(np.float32, copy=False))
                             if isinstance(o, h5py.Dataset) else None)
            return out
        med, mn = timed(read, repeat)
        print(f"python-read-h5 median_ms={med:.2f} min_ms={mn:.2f}")
    elif task == "convert-h5":
        import h5py
        from safetensors.numpy import save_file
        src, dst = sys.argv[2], sys.argv[3]
        with h5py.File(src, "r") as f:
            tensors = {k: f[k][()] for k in f.keys()}
        save_file(tensors, dst)
    elif task == "convert-safetensors":
        from safetensors.numpy import load_file, save_file
        save_file(load_file(sys.argv[2]), sys.argv[3])
    elif task == "summary":
        import timm, torchinfo
        m = timm.create_model(sys.argv[2], pretrained=False)
        torchinfo.summary(m, input_size=(1, 3, 224, 224), depth=3)
    else:
        sys.exit(f"unknown task {task}")


if __name__ == "__main__":
    main()
