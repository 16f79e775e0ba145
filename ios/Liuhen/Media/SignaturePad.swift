import PencilKit
import SwiftUI
import UIKit

/// The party's signature pad (PencilKit, finger or pencil).
struct SignaturePad: UIViewRepresentable {
    /// The canvas, owned by the screen so it can export the drawing.
    let canvas: PKCanvasView

    func makeUIView(context: Context) -> PKCanvasView {
        canvas.drawingPolicy = .anyInput
        canvas.tool = PKInkingTool(.pen, color: .black, width: 4)
        canvas.backgroundColor = .white
        canvas.isOpaque = true
        return canvas
    }

    func updateUIView(_ view: PKCanvasView, context: Context) {}
}

extension PKCanvasView {
    /// Whether nothing has been drawn.
    var isBlank: Bool { drawing.strokes.isEmpty }

    /// The signature as a PNG on a white background, at screen scale.
    func signaturePNG() -> Data? {
        guard !isBlank else { return nil }
        let rect = bounds.isEmpty ? drawing.bounds : bounds
        let strokes = drawing.image(from: rect, scale: UIScreen.main.scale)
        let format = UIGraphicsImageRendererFormat()
        format.scale = UIScreen.main.scale
        let image = UIGraphicsImageRenderer(size: rect.size, format: format).image { ctx in
            UIColor.white.setFill()
            ctx.fill(CGRect(origin: .zero, size: rect.size))
            strokes.draw(in: CGRect(origin: .zero, size: rect.size))
        }
        return image.pngData()
    }
}
