import EReceipt
import PencilKit
import SwiftUI

/// The signature pad: a PencilKit canvas whose strokes go to the SDK's `SignatureCapture`,
/// every `PKStrokePoint` with its location, its time (the stroke's `creationDate` plus the
/// point's `timeOffset`) and its force. PencilKit hands a stroke over when it ends, so the SDK
/// sees each stroke at pen-up, which is when its idle rule starts counting anyway.
///
/// The canvas shows exactly what the SDK accepted: a stroke the SDK refuses (one that leaves
/// the pad, say) is taken off the canvas and `onRefused` gets the SDK's reason. The parent
/// undoes and clears in the SDK and changes `drawing` to match.
struct SignatureView: UIViewRepresentable {
    let capture: SignatureCapture
    /// Pixels per point: the capture's pad is in pixels, PencilKit reports points.
    let scale: CGFloat
    @Binding var drawing: PKDrawing
    var onRefused: (Error) -> Void

    func makeUIView(context: Context) -> PKCanvasView {
        let canvas = PKCanvasView()
        canvas.drawingPolicy = .anyInput
        canvas.tool = PKInkingTool(.pen, color: .black, width: 3)
        canvas.backgroundColor = .white
        canvas.isOpaque = true
        canvas.isScrollEnabled = false
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
        /// How many of the canvas's strokes the SDK has; undo and clear shrink the drawing below it.
        private var fed = 0

        init(parent: SignatureView) { self.parent = parent }

        func canvasViewDrawingDidChange(_ canvas: PKCanvasView) {
            let strokes = canvas.drawing.strokes
            guard strokes.count >= fed else {
                fed = strokes.count  // The parent undid or cleared, in the SDK too.
                return
            }
            var accepted = Array(strokes[..<fed])
            var refusal: Error?
            for stroke in strokes[fed...] {
                do {
                    try feed(stroke)
                    accepted.append(stroke)
                } catch {
                    refusal = error
                }
            }
            fed = accepted.count
            if let refusal {
                canvas.drawing = PKDrawing(strokes: accepted)
                parent.onRefused(refusal)
            }
            parent.drawing = canvas.drawing
        }

        /// One stroke, as pen down, moves and pen up; all of it or, if the SDK refuses a
        /// point, none of it.
        private func feed(_ stroke: PKStroke) throws {
            let start = stroke.path.creationDate.timeIntervalSince1970
            let scale = parent.scale
            let points = stroke.path.map { point -> PenPoint in
                let location = point.location.applying(stroke.transform)
                return PenPoint(
                    x: Float(location.x * scale),
                    y: Float(location.y * scale),
                    tMs: UInt64(((start + point.timeOffset) * 1000).rounded()),
                    // Apple Pencil reports up to about 4.17 (its UITouch.maximumPossibleForce);
                    // a finger reports a constant. The SDK takes 0...1.
                    pressure: Float(min(max(point.force / 4.17, 0), 1))
                )
            }
            guard let first = points.first else { return }
            let capture = parent.capture
            try capture.beginStroke(point: first)
            do {
                try capture.addPoints(points: Array(points.dropFirst()))
                try capture.endStroke()
            } catch {
                _ = try? capture.undo()
                throw error
            }
        }
    }
}
