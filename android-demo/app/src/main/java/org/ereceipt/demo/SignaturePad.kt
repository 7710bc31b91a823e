package org.ereceipt.demo

import android.view.MotionEvent
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.border
import androidx.compose.runtime.Composable
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.remember
import androidx.compose.ui.ExperimentalComposeUiApi
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Color
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.StrokeCap
import androidx.compose.ui.graphics.StrokeJoin
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.input.pointer.pointerInteropFilter
import androidx.compose.ui.unit.dp
import org.ereceipt.sdk.PenPoint
import org.ereceipt.sdk.SignatureCapture

/**
 * The signature pad: every touch sample goes to the SDK's [capture], including the historical
 * points Android batches into one MOVE event (at 120–240 Hz touch sampling most samples are
 * historical), with their own event times and pressure. The ink drawn here is only feedback:
 * the receipt's signature is what the SDK captured.
 *
 * [onInput] gets what the SDK refused, if anything (a point outside the pad, for instance).
 * [strokes] holds the drawn strokes so that undo and clear in the parent can change them; the
 * parent calls [SignatureCapture.undo] / [SignatureCapture.clear] at the same time.
 */
@OptIn(ExperimentalComposeUiApi::class)
@Composable
fun SignaturePad(
    capture: SignatureCapture,
    strokes: MutableList<MutableList<Offset>>,
    onInput: (Throwable?) -> Unit,
    modifier: Modifier = Modifier,
) {
    Canvas(
        modifier
            .background(Color.White)
            .border(1.dp, Color.Gray)
            .pointerInteropFilter { event ->
                val points = samples(event)
                val failure = runCatching {
                    when (event.actionMasked) {
                        MotionEvent.ACTION_DOWN -> {
                            capture.beginStroke(points.last())
                            strokes.add(mutableStateListOf(Offset(event.x, event.y)))
                        }
                        MotionEvent.ACTION_MOVE -> {
                            capture.addPoints(points)
                            strokes.lastOrNull()?.addAll(points.map { Offset(it.x, it.y) })
                        }
                        MotionEvent.ACTION_UP -> {
                            capture.addPoints(points)
                            capture.endStroke()
                        }
                        MotionEvent.ACTION_CANCEL -> capture.endStroke()
                        else -> Unit
                    }
                }.exceptionOrNull()
                onInput(failure)
                true
            },
    ) {
        for (stroke in strokes) {
            if (stroke.isEmpty()) continue
            val path = Path().apply {
                moveTo(stroke[0].x, stroke[0].y)
                for (p in stroke.drop(1)) lineTo(p.x, p.y)
            }
            drawPath(path, Color.Black, style = Stroke(width = 4f, cap = StrokeCap.Round, join = StrokeJoin.Round))
        }
    }
}

/** The event's samples, oldest first: its historical points, then its current one. */
private fun samples(event: MotionEvent): List<PenPoint> = buildList {
    for (h in 0 until event.historySize) {
        add(
            PenPoint(
                x = event.getHistoricalX(h),
                y = event.getHistoricalY(h),
                tMs = event.getHistoricalEventTime(h).toULong(),
                pressure = event.getHistoricalPressure(h).coerceIn(0f, 1f),
            ),
        )
    }
    add(PenPoint(x = event.x, y = event.y, tMs = event.eventTime.toULong(), pressure = event.pressure.coerceIn(0f, 1f)))
}

/** A remembered stroke list for [SignaturePad]. */
@Composable
fun rememberStrokes(): MutableList<MutableList<Offset>> = remember { mutableStateListOf() }
