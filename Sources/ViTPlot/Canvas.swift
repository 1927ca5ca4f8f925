import CCairo
import Foundation

/// Errors writing a figure. Every case names the file.
public enum PlotError: Error, Equatable, CustomStringConvertible, Sendable {
    /// cairo could not make or write the image.
    case cairo(file: String, message: String)
    /// The model or input cannot give this figure (says why).
    case notApplicable(file: String, message: String)

    public var description: String {
        switch self {
        case let .cairo(f, m): return "\(f): cannot write the figure: \(m)"
        case let .notApplicable(f, m): return "\(f): \(m)"
        }
    }
}

/// A white RGB drawing surface (cairo image surface) with the few primitives the figures need.
final class Canvas {
    let width: Int, height: Int
    private let surface: OpaquePointer
    let cr: OpaquePointer

    /// Throws `PlotError.cairo` naming `path` (the figure it is for) when cairo cannot be loaded.
    init(width: Int, height: Int, for path: String) throws {
        var err = [CChar](repeating: 0, count: 512)
        guard vk_cairo_load(&err, err.count) == 0,
              let s = vk_cairo_image_surface_create(CAIRO_FORMAT_RGB24, Int32(width), Int32(height)),
              let c = vk_cairo_create(s) else {
            let why = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw PlotError.cairo(file: path, message: "\(why.isEmpty ? "cairo could not make a surface" : why); "
                + "figures need the cairo library (Debian: apt install libcairo2)")
        }
        self.width = width
        self.height = height
        surface = s
        cr = c
        vk_cairo_set_source_rgb(cr, 1, 1, 1)
        vk_cairo_paint(cr)
        vk_cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
    }

    deinit {
        vk_cairo_destroy(cr)
        vk_cairo_surface_destroy(surface)
    }

    func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, _ c: (Double, Double, Double)) {
        vk_cairo_set_source_rgb(cr, c.0, c.1, c.2)
        vk_cairo_rectangle(cr, x, y, w, h)
        vk_cairo_fill(cr)
    }

    func strokeRect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, width lw: Double = 1) {
        vk_cairo_set_source_rgb(cr, 0, 0, 0)
        vk_cairo_set_line_width(cr, lw)
        vk_cairo_rectangle(cr, x, y, w, h)
        vk_cairo_stroke(cr)
    }

    func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width lw: Double = 1, gray: Double = 0) {
        vk_cairo_set_source_rgb(cr, gray, gray, gray)
        vk_cairo_set_line_width(cr, lw)
        vk_cairo_move_to(cr, x0, y0)
        vk_cairo_line_to(cr, x1, y1)
        vk_cairo_stroke(cr)
    }

    func dot(_ x: Double, _ y: Double, radius: Double, _ c: (Double, Double, Double)) {
        vk_cairo_set_source_rgb(cr, c.0, c.1, c.2)
        vk_cairo_arc(cr, x, y, radius, 0, 2 * Double.pi)
        vk_cairo_fill(cr)
    }

    /// Text with its anchor at (x, y): `align` 0 left, 0.5 centre, 1 right; baseline at y + size/3 (vertically centred).
    func text(_ s: String, _ x: Double, _ y: Double, size: Double = 12, align: Double = 0, bold: Bool = false, rotate: Bool = false) {
        vk_cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        vk_cairo_set_font_size(cr, size)
        var ext = cairo_text_extents_t()
        vk_cairo_text_extents(cr, s, &ext)
        vk_cairo_set_source_rgb(cr, 0, 0, 0)
        vk_cairo_save(cr)
        vk_cairo_translate(cr, x, y)
        if rotate { vk_cairo_rotate(cr, -Double.pi / 2) }
        vk_cairo_move_to(cr, -ext.x_advance * align, size / 3)
        vk_cairo_show_text(cr, s)
        vk_cairo_restore(cr)
    }

    /// An 8-bit RGB image (row-major, 3 bytes a pixel) drawn at (x, y) scaled by `scale` (nearest neighbour).
    func image(_ pixels: [UInt8], width w: Int, height h: Int, at x: Double, _ y: Double, scale: Double) {
        for r in 0..<h {
            for c in 0..<w {
                let i = (r * w + c) * 3
                rect(x + Double(c) * scale, y + Double(r) * scale, scale + 0.5, scale + 0.5,
                     (Double(pixels[i]) / 255, Double(pixels[i + 1]) / 255, Double(pixels[i + 2]) / 255))
            }
        }
    }

    /// A map of `values` (rows × columns) at (x, y), `cell` pixels a value, coloured by `ColorMap` over lo...hi.
    func heatmap(_ values: [Float], rows: Int, columns: Int, at x: Double, _ y: Double, cell: Double, lo: Double, hi: Double,
                 alpha: Double = 1) {
        for r in 0..<rows {
            for c in 0..<columns {
                let t = (Double(values[r * columns + c]) - lo) / max(hi - lo, 1e-12)
                let col = ColorMap.viridis(t)
                vk_cairo_set_source_rgba(cr, col.0, col.1, col.2, alpha)
                vk_cairo_rectangle(cr, x + Double(c) * cell, y + Double(r) * cell, cell + 0.3, cell + 0.3)
                vk_cairo_fill(cr)
            }
        }
    }

    /// A vertical colour scale at (x, y), w × h, labelled lo (bottom) to hi (top).
    func colorBar(_ x: Double, _ y: Double, _ w: Double, _ h: Double, lo: Double, hi: Double, label: String) {
        let steps = Int(h)
        for i in 0..<steps {
            let c = ColorMap.viridis(1 - Double(i) / Double(max(1, steps - 1)))
            rect(x, y + Double(i), w, 1.5, c)
        }
        strokeRect(x, y, w, h)
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            let yy = y + h - h * Double(k) / 4
            line(x + w, yy, x + w + 4, yy)
            text(Self.format(v), x + w + 7, yy, size: 10)
        }
        text(label, x + w + 48, y + h / 2, size: 11, align: 0.5, rotate: true)
    }

    static func format(_ v: Double) -> String {
        if v == 0 { return "0" }
        return abs(v) >= 100 ? String(format: "%.0f", v) : (abs(v) >= 1 ? String(format: "%.1f", v) : String(format: "%.2f", v))
    }

    /// Writes the PNG atomically (a temporary file beside `path`, then renamed).
    func write(to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        let status = vk_cairo_surface_write_to_png(surface, tmp)
        guard status == CAIRO_STATUS_SUCCESS else {
            unlink(tmp)
            throw PlotError.cairo(file: path, message: String(cString: vk_cairo_status_to_string(status)))
        }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw PlotError.cairo(file: path, message: "cannot rename the temporary file into place")
        }
    }
}

/// A perceptually uniform colour scale (viridis, by its published stops, linearly interpolated).
enum ColorMap {
    static let stops: [(Double, Double, Double)] = [
        (0.267, 0.005, 0.329), (0.283, 0.141, 0.458), (0.254, 0.265, 0.530), (0.207, 0.372, 0.553),
        (0.164, 0.471, 0.558), (0.128, 0.567, 0.551), (0.135, 0.659, 0.518), (0.267, 0.749, 0.441),
        (0.478, 0.821, 0.318), (0.741, 0.873, 0.150), (0.993, 0.906, 0.144),
    ]

    static func viridis(_ t: Double) -> (Double, Double, Double) {
        let u = min(1, max(0, t.isNaN ? 0 : t)) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(u)), f = u - Double(i)
        let a = stops[i], b = stops[i + 1]
        return (a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f)
    }
}
