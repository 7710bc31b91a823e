package org.ereceipt.demo

import android.view.MotionEvent
import androidx.compose.foundation.Canvas
import androidx.compose.foundation.background
import androidx.compose.foundation.border
import androidx.compose.runtime.Composable
import androidx.compose.runtime.mutableStateListOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.snapshots.SnapshotStateList
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

/** The ink on the pad, one list of points per stroke, as the SDK accepted it. */
typealias Ink = SnapshotStateList<SnapshotStateList<Offset>>

@Composable
fun rememberInk(): Ink = remember { mutableStateListOf() }

/**
 * The signature pad. Every touch sample goes to the SDK's [capture]: on a MOVE event the
 * historical points Android batched into it first (at 120–240 Hz touch sampling most samples
 * are historical), each with its own event time and pressure, then the current one. Pad
 * coordinates are the composable's pixels, which is what the [capture]'s pad was made from.
 *
 * The ink drawn here is feedback only and shows exactly what the SDK accepted: a batch the SDK
 * refuses (a point off the pad, say) is not drawn, and [onRefused] gets the SDK's reason. The
 * parent calls [SignatureCapture.undo] and [SignatureCapture.clear] and changes [ink] to match.
 */
@OptIn(ExperimentalComposeUiApi::class)
@Composable
fun SignaturePad(
    capture: SignatureCapture,
    ink: Ink,
    onRefused: (Throwable) -> Unit,
    modifier: Modifier = Modifier,
) {
    Canvas(
        modifier
            .background(Color.White)
            .border(1.dp, Color.Gray)
            .pointerInteropFilter { event ->
                val points = samples(event)
                runCatching {
                    when (event.actionMasked) {
                        MotionEvent.ACTION_DOWN -> {
                            capture.beginStroke(points.last())
                            ink.add(mutableStateListOf(points.last().offset()))
                        }
                        MotionEvent.ACTION_MOVE -> {
                            capture.addPoints(points)
                            ink.lastOrNull()?.addAll(points.map { it.offset() })
                        }
                        MotionEvent.ACTION_UP -> {
                            capture.addPoints(points)
                            ink.lastOrNull()?.addAll(points.map { it.offset() })
                            capture.endStroke()
                        }
                        MotionEvent.ACTION_CANCEL -> capture.endStroke()
                        else -> Unit
                    }
                }.onFailure(onRefused)
                true
            },
    ) {
        for (stroke in ink) {
            val first = stroke.firstOrNull() ?: continue
            val path = Path().apply {
                moveTo(first.x, first.y)
                for (p in stroke) lineTo(p.x, p.y)
            }
            drawPath(path, Color.Black, style = Stroke(width = 4f, cap = StrokeCap.Round, join = StrokeJoin.Round))
        }
    }
}

/** The event's samples, oldest first: its historical points, then its current one. */
private fun samples(event: MotionEvent): List<PenPoint> = buildList {
    for (h in 0 until event.historySize) {
        add(point(event.getHistoricalX(h), event.getHistoricalY(h), event.getHistoricalEventTime(h), event.getHistoricalPressure(h)))
    }
    add(point(event.x, event.y, event.eventTime, event.pressure))
}

/**
 * One sample: `eventTime` is milliseconds of the monotonic uptime clock; Android's pressure is
 * "normally" 0..1 but may exceed 1 on some screens, and the SDK takes 0..1.
 */
private fun point(x: Float, y: Float, timeMs: Long, pressure: Float) =
    PenPoint(x = x, y = y, tMs = timeMs.toULong(), pressure = pressure.coerceIn(0f, 1f))

private fun PenPoint.offset() = Offset(x, y)
