import EReceipt
import PencilKit
import SwiftUI

/// The signature pad: a PencilKit canvas whose strokes go to the SDK's `SignatureCapture`,
/// every `PKStrokePoint` with its location, its time (the stroke's creation date plus the
/// point's time offset) and its force. PencilKit hands a stroke over when it ends, so the SDK
/// sees each stroke at pen-up, which is when its idle rule starts counting anyway.
struct SignatureView: UIViewRepresentable {
    let capture: SignatureCapture
    /// The ink on the pad; the parent removes strokes from it when it undoes or clears them in
    /// the SDK.
    @Binding var drawing: PKDrawing
    /// Called after each stroke with what the SDK refused, if anything.
    var onStroke: (Error?) -> Void

    func makeUIView(context: Context) -> PKCanvasView {
        let canvas = PKCanvasView()
        canvas.drawingPolicy = .anyInput
        canvas.tool = PKInkingTool(.pen, color: .black, width: 3)
        canvas.backgroundColor = .white
        canvas.isOpaque = true
        canvas.delegate = context.coordinator
        return canvas
    }

    func updateUIView(_ canvas: PKCanvasView, context: Context) {
        context.coordinator.parent = self
        if canvas.drawing.strokes.count != drawing.strokes.count {
            canvas.drawing = drawing
        }
    }

    func makeCoordinator() -> Coordinator { Coordinator(parent: self) }

    final class Coordinator: NSObject, PKCanvasViewDelegate {
        var parent: SignatureView
        /// Strokes already given to the SDK; undo and clear shrink the drawing below it.
        private var fed = 0

        init(parent: SignatureView) { self.parent = parent }

        func canvasViewDrawingDidChange(_ canvas: PKCanvasView) {
            let strokes = canvas.drawing.strokes
            if strokes.count < fed {
                fed = strokes.count  // The parent undid or cleared in the SDK too.
                return
            }
            var failure: Error?
            for stroke in strokes[fed...] {
                do {
                    try feed(stroke)
                } catch {
                    failure = error
                }
            }
            fed = strokes.count
            parent.drawing = canvas.drawing
            parent.onStroke(failure)
        }

        private func feed(_ stroke: PKStroke) throws {
            let start = stroke.path.creationDate.timeIntervalSince1970
            let points = stroke.path.map { point -> PenPoint in
                let location = point.location.applying(stroke.transform)
                return PenPoint(
                    x: Float(location.x),
                    y: Float(location.y),
                    tMs: UInt64(((start + point.timeOffset) * 1000).rounded()),
                    // Apple Pencil reports up to about 4.17 (UITouch.maximumPossibleForce); a
                    // finger reports a constant. The SDK wants 0...1.
                    pressure: Float(min(max(point.force / 4.17, 0), 1))
                )
            }
            guard let first = points.first else { return }
            try parent.capture.beginStroke(point: first)
            try parent.capture.addPoints(points: Array(points.dropFirst()))
            try parent.capture.endStroke()
        }
    }
}
