/// Bit-exact conversions between Float32 and the 16- and 8-bit float formats.
///
/// Narrowing rounds to nearest, ties to even; NaN stays NaN (sign kept) and ±Inf stays ±Inf.
public enum FloatBits {
    /// bfloat16 bits → Float32 (exact).
    @inlinable public static func float(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Float32 → bfloat16 bits, round to nearest even; NaN kept quiet with its sign.
    @inlinable public static func bf16(from value: Float) -> UInt16 {
        let b = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }
        let rounding: UInt32 = 0x7FFF + ((b >> 16) & 1)
        return UInt16(truncatingIfNeeded: (b &+ rounding) >> 16)
    }

    /// IEEE half bits → Float32 (exact).
    @inlinable public static func float(fromF16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// Float32 → IEEE half bits, round to nearest even (overflow → ±Inf).
    @inlinable public static func f16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// float8 e5m2 bits → Float32 (the top byte of an IEEE half).
    @inlinable public static func float(fromF8E5M2 bits: UInt8) -> Float {
        float(fromF16: UInt16(bits) << 8)
    }

    /// float8 e4m3fn bits → Float32 (bias 7, no infinities, S.1111.111 is NaN).
    @inlinable public static func float(fromF8E4M3 bits: UInt8) -> Float {
        let sign: Float = (bits & 0x80) != 0 ? -1 : 1
        let exp = Int((bits >> 3) & 0x0F)
        let man = Float(bits & 0x07)
        if exp == 0x0F && (bits & 0x07) == 0x07 { return .nan }
        if exp == 0 { return sign * man / 8 * Float(sign: .plus, exponent: -6, significand: 1) }
        return sign * (1 + man / 8) * Float(sign: .plus, exponent: exp - 7, significand: 1)
    }
}
