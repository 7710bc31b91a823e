#!/usr/bin/env python3
"""Generates the recorded signatures of this directory (ereceipt-strokes/1 JSON).

Deterministic (a fixed seed per signature), Python 3.11 standard library only:

    python3 tests/data/signatures/generate.py

Each signature is a sequence of pen strokes. A stroke is a path through hand-designed control
points (cursive letters built from per-letter templates, or Chinese strokes), made smooth by a
centripetal Catmull-Rom spline. The pen moves along it as hands do: the speed follows the
two-thirds power law of human movement (v = K * curvature^(-1/3): slow in turns and loops, fast
on straights), starts from rest, and either stops or flicks off at the end. The moving pen is
sampled like a touch screen or stylus digitizer (60-120 Hz with timing jitter), with a little
physiological tremor and sensor noise; the pressure rises at pen-down, falls at the lift and
grows when the pen slows down. Times are absolute device uptimes, as a platform reports them.
"""

import json
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


# --- Geometry ------------------------------------------------------------------------------------

def catmull_rom(points, per_mm=20.0):
    """A dense polyline through `points` (mm) along a centripetal Catmull-Rom spline."""
    pts = [points[0]] + list(points) + [points[-1]]
    out = [points[0]]
    for i in range(1, len(pts) - 2):
        p0, p1, p2, p3 = pts[i - 1], pts[i], pts[i + 1], pts[i + 2]

        def knot(a, b):
            return max(math.dist(a, b) ** 0.5, 1e-6)

        t1 = knot(p0, p1)
        t2 = t1 + knot(p1, p2)
        t3 = t2 + knot(p2, p3)
        n = max(2, int(math.dist(p1, p2) * per_mm))
        for k in range(1, n + 1):
            t = t1 + (t2 - t1) * k / n

            def lerp(a, b, ta, tb):
                if tb - ta < 1e-9:
                    return a
                return tuple(((tb - t) * a[j] + (t - ta) * b[j]) / (tb - ta) for j in range(2))

            a1 = lerp(p0, p1, 0.0, t1)
            a2 = lerp(p1, p2, t1, t2)
            a3 = lerp(p2, p3, t2, t3)
            b1 = lerp(a1, a2, 0.0, t2)
            b2 = lerp(a2, a3, t1, t3)
            out.append(lerp(b1, b2, t1, t2))
    return out


def resample(poly, step=0.05):
    """The polyline resampled every `step` mm of arc length."""
    out = [poly[0]]
    carry = 0.0
    for a, b in zip(poly, poly[1:]):
        seg = math.dist(a, b)
        pos = step - carry
        while pos <= seg:
            f = pos / seg
            out.append((a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f))
            pos += step
        carry = seg - (pos - step)
    if math.dist(out[-1], poly[-1]) > 1e-6:
        out.append(poly[-1])
    return out


def curvature(poly, i, reach=4):
    """Curvature (1/mm) at poly[i] from the circle through points `reach` samples apart."""
    a = poly[max(0, i - reach)]
    b = poly[i]
    c = poly[min(len(poly) - 1, i + reach)]
    ab, bc, ca = math.dist(a, b), math.dist(b, c), math.dist(c, a)
    if ab * bc * ca < 1e-12:
        return 0.0
    cross = abs((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))
    return 2.0 * cross / (ab * bc * ca)


def smoothstep(x):
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


# --- Motion ----------------------------------------------------------------------------------------

class Stroke:
    """One pen-down-to-pen-up movement along control points given in mm (y down)."""

    def __init__(self, points, tempo=1.0, end="stop", pressure_end="lift", press=0.55):
        self.points = points
        self.tempo = tempo          # speed multiplier
        self.end = end              # "stop": slows to rest; "flick": leaves at speed
        self.pressure_end = pressure_end  # "lift": tapers; "press": presses, then lifts
        self.press = press          # typical pressure


def timed_path(stroke):
    """Dense (x, y, t_seconds, speed) samples of the pen moving along the stroke."""
    poly = resample(catmull_rom(stroke.points))
    n = len(poly)
    k = 42.0 * stroke.tempo  # mm/s at 1/mm curvature
    speed = []
    for i in range(n):
        kappa = curvature(poly, i)
        v = k * (kappa + 0.015) ** (-1.0 / 3.0)
        speed.append(min(260.0 * stroke.tempo, max(12.0, v)))
    # Smooth the speed over about 1.5 mm either side: muscles do not jump.
    w = 30
    sm = []
    for i in range(n):
        lo, hi = max(0, i - w), min(n, i + w + 1)
        sm.append(sum(speed[lo:hi]) / (hi - lo))
    length = 0.05 * (n - 1)
    ramp = min(2.5, length / 3)
    out = []
    t = 0.0
    for i, (x, y) in enumerate(poly):
        s = 0.05 * i
        v = sm[i] * (0.2 + 0.8 * smoothstep(s / ramp))
        if stroke.end == "stop":
            v *= 0.25 + 0.75 * smoothstep((length - s) / ramp)
        if i > 0:
            t += 0.05 / ((v + prev_v) / 2)
        out.append((x, y, t, v))
        prev_v = v
    return out


class Tremor:
    """Physiological tremor (8-12 Hz, a few hundredths of a mm) plus sensor noise."""

    def __init__(self, rng, amplitude):
        self.rng = rng
        self.waves = [
            (rng.uniform(7.0, 12.0), rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi))
            for _ in range(3)
        ]
        self.amplitude = amplitude

    def at(self, t):
        dx = sum(math.sin(2 * math.pi * f * t + a) for f, a, _ in self.waves) / 3
        dy = sum(math.sin(2 * math.pi * f * t + b) for f, _, b in self.waves) / 3
        return (
            self.amplitude * dx + self.rng.gauss(0, self.amplitude / 3),
            self.amplitude * dy + self.rng.gauss(0, self.amplitude / 3),
        )


def sample(stroke, rng, t0, hz, tremor, with_pressure):
    """The pen's events along `stroke` from device time `t0` (ms); returns (points, end ms)."""
    path = timed_path(stroke)
    duration = path[-1][2]
    period = 1.0 / hz
    events = []
    t = 0.0
    j = 0
    vmax = max(p[3] for p in path)
    while True:
        while j + 1 < len(path) and path[j + 1][2] < t:
            j += 1
        if j + 1 >= len(path):
            x, y, _, v = path[-1]
        else:
            a, b = path[j], path[j + 1]
            f = (t - a[2]) / (b[2] - a[2]) if b[2] > a[2] else 0.0
            f = min(1.0, max(0.0, f))
            x = a[0] + (b[0] - a[0]) * f
            y = a[1] + (b[1] - a[1]) * f
            v = a[3] + (b[3] - a[3]) * f
        dx, dy = tremor.at(t)
        point = {"x": x + dx, "y": y + dy, "t": t0 + t * 1000.0}
        if with_pressure:
            rise = smoothstep(t / 0.035)
            left = duration - t
            if stroke.pressure_end == "press":
                tail = 1.0 + 0.35 * smoothstep(1 - left / 0.08) - 0.9 * smoothstep(1 - left / 0.02)
            else:
                tail = 0.2 + 0.8 * smoothstep(left / 0.06)
            slow = 1.0 + 0.3 * (1.0 - v / vmax)
            wobble = 1.0 + 0.06 * math.sin(2 * math.pi * 1.7 * t + t0)
            p = stroke.press * (0.15 + 0.85 * rise) * tail * slow * wobble
            point["p"] = min(0.98, max(0.02, p + rng.gauss(0, 0.006)))
        events.append(point)
        if t >= duration:
            break
        # Digitizer timing: the nominal period with a little jitter; the last event at the lift.
        t = min(duration, t + period * rng.uniform(0.97, 1.03))
    return events, t0 + duration * 1000.0


def record(name, pad, strokes, seed, hz, with_pressure, origin_mm):
    """Writes `<name>.json`: `strokes` laid out from `origin_mm` on `pad` (width, height, dpi)."""
    rng = random.Random(seed)
    width, height, dpi = pad
    px = dpi / 25.4
    tremor = Tremor(rng, 0.03)
    t = 86_400_000.0 + rng.uniform(0, 3_600_000.0)  # device uptime, ms
    out = []
    for i, stroke in enumerate(strokes):
        if i > 0:
            t += rng.uniform(140.0, 380.0)  # pen up, moving to the next stroke
        events, t = sample(stroke, rng, t, hz, tremor, with_pressure)
        points = []
        for e in events:
            x = (origin_mm[0] + e["x"]) * px
            y = (origin_mm[1] + e["y"]) * px
            assert 0 <= x <= width and 0 <= y <= height, (name, x, y)
            p = {"x": round(x, 2), "y": round(y, 2), "t": int(round(e["t"]))}
            if "p" in e:
                p["p"] = round(e["p"], 3)
            points.append(p)
        out.append(points)
    lines = [
        "{",
        '  "format": "ereceipt-strokes/1",',
        f'  "pad": {{"width": {width}, "height": {height}, "dpi": {dpi}}},',
        '  "strokes": [',
    ]
    for i, points in enumerate(out):
        body = ", ".join(json.dumps(p, separators=(",", ":")) for p in points)
        lines.append(f"    [{body}]" + ("," if i + 1 < len(out) else ""))
    lines += ["  ]", "}", ""]
    with open(os.path.join(HERE, f"{name}.json"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


# --- Cursive letters -------------------------------------------------------------------------------
# Control points in x-heights, baseline y = 0, y up; each letter enters at (0, 0) and leaves at
# its last point, where the next letter's entry joins it.

LOWER = {
    "a": [(0, 0), (0.5, 0.62), (0.82, 0.95), (0.5, 1.0), (0.15, 0.7), (0.17, 0.2), (0.45, 0.02),
          (0.78, 0.5), (0.9, 0.96), (0.84, 0.4), (0.95, 0.04), (1.25, 0.18)],
    "c": [(0, 0), (0.42, 0.7), (0.72, 0.95), (0.45, 1.0), (0.16, 0.6), (0.26, 0.1), (0.55, 0.0),
          (0.95, 0.18)],
    "d": [(0, 0), (0.5, 0.62), (0.78, 0.92), (0.46, 1.0), (0.13, 0.66), (0.16, 0.16),
          (0.46, 0.02), (0.76, 0.6), (0.93, 1.8), (0.88, 2.35), (0.8, 1.6), (0.79, 0.35),
          (0.95, 0.0), (1.25, 0.18)],
    "e": [(0, 0), (0.5, 0.36), (0.78, 0.72), (0.58, 0.98), (0.3, 0.76), (0.32, 0.3), (0.6, 0.02),
          (1.0, 0.12)],
    "f": [(0, 0), (0.45, 0.8), (0.86, 1.9), (0.72, 2.45), (0.46, 2.05), (0.44, 0.5),
          (0.4, -0.8), (0.3, -1.35), (0.18, -1.05), (0.44, -0.25), (0.72, 0.05), (1.0, 0.2)],
    "h": [(0, 0), (0.5, 0.62), (0.92, 1.72), (0.82, 2.42), (0.52, 2.3), (0.46, 1.5),
          (0.41, 0.0), (0.56, 0.7), (0.82, 0.96), (1.0, 0.62), (1.06, 0.1), (1.36, 0.18)],
    "i": [(0, 0), (0.32, 0.62), (0.46, 0.96), (0.41, 0.3), (0.56, 0.0), (0.82, 0.16)],
    "l": [(0, 0), (0.5, 0.62), (0.95, 1.72), (0.85, 2.42), (0.55, 2.3), (0.45, 1.5),
          (0.45, 0.5), (0.6, 0.02), (1.0, 0.16)],
    "n": [(0, 0), (0.2, 0.88), (0.3, 0.96), (0.31, 0.05), (0.46, 0.72), (0.72, 1.0), (0.9, 0.7),
          (0.95, 0.1), (1.22, 0.16)],
    "o": [(0, 0), (0.32, 0.62), (0.62, 0.95), (0.32, 0.97), (0.11, 0.5), (0.3, 0.02),
          (0.66, 0.32), (0.62, 0.9), (0.82, 0.78), (1.1, 0.8)],
    "r": [(0, 0), (0.22, 0.86), (0.36, 0.96), (0.5, 0.82), (0.62, 0.9), (0.61, 0.4),
          (0.66, 0.0), (0.96, 0.16)],
    "s": [(0, 0), (0.36, 0.62), (0.46, 1.0), (0.7, 0.42), (0.56, 0.03), (0.26, 0.1),
          (0.5, 0.0), (0.9, 0.16)],
    "t": [(0, 0), (0.36, 0.8), (0.52, 1.72), (0.46, 0.6), (0.51, 0.04), (0.86, 0.2)],
    "u": [(0, 0), (0.2, 0.9), (0.16, 0.3), (0.36, 0.0), (0.6, 0.3), (0.76, 0.96), (0.71, 0.3),
          (0.81, 0.0), (1.1, 0.16)],
    "b": [(0, 0), (0.5, 0.62), (0.94, 1.72), (0.84, 2.42), (0.54, 2.3), (0.44, 1.5),
          (0.4, 0.1), (0.62, 0.1), (0.86, 0.6), (0.62, 0.86), (0.74, 0.6), (1.1, 0.6)],
    "m": [(0, 0), (0.18, 0.86), (0.27, 0.95), (0.28, 0.05), (0.4, 0.72), (0.6, 0.98),
          (0.74, 0.7), (0.77, 0.05), (0.9, 0.72), (1.1, 0.98), (1.26, 0.7), (1.3, 0.1),
          (1.56, 0.16)],
}


def word(letters, x0, baseline, xh, slant=0.28, upper=None, squash=1.0):
    """Control points (mm, y down) of a connected cursive word, and where the dots of its i's
    go (mm).

    `upper` is an optional list of leading control points (in x-heights, y up, relative to x0)
    for a capital joined to the word; letters follow from its last point."""
    pts = list(upper or [])
    x = pts[-1][0] if pts else 0.0
    dots = []
    for ch in letters:
        template = LOWER[ch]
        start = 1 if pts else 0
        for px, py in template[start:]:
            pts.append((x + px * squash, py))
        if ch == "i":
            dots.append((x + 0.5 * squash, 1.62))
        x = pts[-1][0]
    return shape(pts, x0, baseline, xh, slant), shape(dots, x0, baseline, xh, slant)


def shape(points, x0, baseline, xh, slant=0.28):
    """Free control points in x-heights (y up) to mm (y down)."""
    return [(x0 + (px + py * slant) * xh, baseline - py * xh) for px, py in points]


def dot(x, y, rng, size=0.5):
    """A pen tap: a short tick."""
    a = rng.uniform(-0.6, 0.6)
    return [(x, y), (x + size * math.cos(a), y + size * math.sin(a))]


# --- The signatures --------------------------------------------------------------------------------

def lena_hollis():
    """A stylus signature with pressure at 120 Hz: a looped capital L joined to "ena", a two-
    stroke H joined to "ollis", and the dot of the i."""
    rng = random.Random(11)
    xh, base = 4.2, 30.0
    capital_l = [(0.5, 1.75), (0.92, 2.35), (1.1, 2.62), (0.86, 2.62), (0.7, 2.05),
                 (0.5, 1.0), (0.3, 0.22), (0.1, 0.0), (-0.12, 0.14), (0.3, 0.2),
                 (0.82, 0.04), (1.3, 0.0)]
    lena, _ = word("ena", 6.0, base, xh, upper=capital_l)
    h_stem = shape([(0.3, 2.55), (0.26, 1.3), (0.0, 0.0)], 34.0, base, xh * 1.1)
    h_rest = shape([(-0.25, 1.05), (0.6, 1.22), (1.3, 1.36), (1.62, 2.62), (1.46, 1.3),
                    (1.3, 0.0)], 34.0, base, xh * 1.1)
    hollis, i_dots = word("ollis", 34.0 + 1.3 * xh * 1.1 + 0.1, base, xh)
    strokes = [
        Stroke(lena, tempo=1.0, end="flick", press=0.55),
        Stroke(h_stem, tempo=1.2, end="stop", pressure_end="press", press=0.6),
        Stroke(h_rest + hollis[1:], tempo=1.05, end="flick", press=0.5),
        Stroke(dot(*i_dots[0], rng), tempo=0.5, end="stop", press=0.5),
    ]
    record("lena-hollis", (1600, 640, 320), strokes, seed=1, hz=120, with_pressure=True,
           origin_mm=(8.0, 4.0))


def marc_dubois():
    """A finger signature without pressure at 60 Hz, fast and sloppy: M joined to "arc", a D,
    "ubois", the i's dot and a fast underline."""
    rng = random.Random(22)
    xh, base = 5.0, 34.0
    capital_m = [(0, 0), (0.25, 1.6), (0.45, 2.35), (0.56, 1.2), (0.6, 0.2), (0.8, 1.4),
                 (1.05, 2.3), (1.15, 1.1), (1.2, 0.3), (1.4, 1.4), (1.62, 2.1), (1.78, 1.1),
                 (1.84, 0.05), (2.05, 0.12)]
    marc, _ = word("arc", 4.0, base, xh, slant=0.2, upper=capital_m, squash=0.9)
    d_x = marc[-1][0] + 4.0
    capital_d = shape([(0.3, 2.3), (0.2, 1.2), (0.1, 0.0), (-0.2, 0.22), (0.3, 0.15),
                       (1.2, 0.4), (1.7, 1.3), (1.4, 2.2), (0.6, 2.5), (-0.1, 2.25)],
                      d_x, base, xh, slant=0.2)
    ubois, i_dots = word("ubois", d_x + 1.9 * xh, base, xh, slant=0.2, squash=0.95)
    underline = [(2.0, base + 5.0), (20.0, base + 4.2), (45.0, base + 3.6), (70.0, base + 2.0)]
    strokes = [
        Stroke(marc, tempo=1.35, end="flick"),
        Stroke(capital_d, tempo=1.3, end="stop"),
        Stroke(ubois, tempo=1.4, end="flick"),
        Stroke(dot(*i_dots[0], rng, 0.8), tempo=0.6, end="stop"),
        Stroke(underline, tempo=2.2, end="flick"),
    ]
    record("marc-dubois", (1280, 560, 240), strokes, seed=2, hz=60, with_pressure=False,
           origin_mm=(6.0, 6.0))


def wang_xiaoming():
    """王小明 in running script with a stylus at 100 Hz: three characters of 3 to 5 strokes, some
    strokes joined the way fast writers join them; heavy at pen-down (顿笔), hooks and sweeps
    lifting, horizontals and verticals pressing before the lift."""
    size = 14.0

    def char(strokes, x0, y0, tilt):
        return [(x0 + (x + (0.5 - y) * tilt) * size, y0 + y * size) for x, y in strokes]

    wang = [
        ([(0.2, 0.22), (0.5, 0.19), (0.8, 0.15)], "stop", "press"),
        ([(0.5, 0.1), (0.495, 0.5), (0.48, 0.86)], "stop", "press"),
        ([(0.28, 0.5), (0.7, 0.46), (0.36, 0.78), (0.22, 0.88), (0.5, 0.86), (0.9, 0.79)],
         "stop", "press"),
    ]
    xiao = [
        ([(0.5, 0.06), (0.51, 0.5), (0.5, 0.86), (0.43, 0.9), (0.34, 0.81)], "flick", "lift"),
        ([(0.3, 0.36), (0.22, 0.55), (0.1, 0.68)], "flick", "lift"),
        ([(0.68, 0.34), (0.78, 0.5), (0.86, 0.62)], "stop", "press"),
    ]
    ming = [
        ([(0.08, 0.26), (0.09, 0.5), (0.1, 0.72)], "stop", "press"),
        ([(0.1, 0.26), (0.35, 0.22), (0.37, 0.45), (0.34, 0.69), (0.13, 0.69), (0.15, 0.48),
          (0.34, 0.46)], "stop", "press"),
        ([(0.56, 0.12), (0.56, 0.5), (0.47, 0.88)], "flick", "lift"),
        ([(0.57, 0.14), (0.86, 0.12), (0.87, 0.5), (0.85, 0.92), (0.77, 0.86)], "flick", "lift"),
        ([(0.61, 0.38), (0.8, 0.36), (0.63, 0.58), (0.81, 0.56)], "stop", "press"),
    ]
    strokes = []
    for i, (character, tilt, dy) in enumerate([(wang, 0.06, 0.0), (xiao, 0.04, 0.8),
                                               (ming, 0.07, -0.5)]):
        for pts, end, pend in character:
            strokes.append(Stroke(char(pts, 2.0 + i * 1.08 * size, 3.0 + dy, tilt), tempo=1.4,
                                  end=end, pressure_end=pend, press=0.6))
    record("wang-xiaoming", (1400, 560, 300), strokes, seed=3, hz=100, with_pressure=True,
           origin_mm=(6.0, 6.0))


def j_whitfield():
    """A pen-like signature with pressure at 90 Hz: a J with a descender loop and a full stop,
    then "Whitfield" in one stroke, the t's cross and the dots of both i's."""
    rng = random.Random(44)
    xh, base = 3.6, 30.0
    capital_j = shape([(0.4, 2.1), (0.9, 2.6), (1.45, 2.45), (1.25, 1.5), (0.95, 0.0),
                       (0.62, -1.25), (0.22, -1.65), (-0.08, -1.25), (0.32, -0.5), (1.0, 0.1),
                       (1.35, 0.3)], 4.0, base, xh)
    stop_x = capital_j[-1][0] + 1.2
    capital_w = [(-0.1, 2.2), (0.1, 2.5), (0.25, 1.3), (0.45, 0.0), (0.75, 1.2), (0.95, 1.7),
                 (1.1, 0.8), (1.3, 0.0), (1.6, 1.4), (1.85, 2.4), (1.9, 2.2)]
    w_x = stop_x + 3.5
    body, dots = word("hitfield", w_x, base, xh, slant=0.32, upper=capital_w)
    # The t's cross: from its stem's left, rising a little to the right.
    t_x = capital_w[-1][0] + sum(LOWER[ch][-1][0] for ch in "hi")
    cross = shape([(t_x + 0.05, 1.12), (t_x + 0.6, 1.2), (t_x + 1.2, 1.25)], w_x, base, xh,
                  slant=0.32)
    strokes = [
        Stroke(capital_j, tempo=1.1, end="flick", press=0.6),
        Stroke(dot(stop_x, base - 0.1, rng, 0.4), tempo=0.5, end="stop", press=0.6),
        Stroke(body, tempo=1.15, end="flick", press=0.55),
        Stroke(cross, tempo=1.6, end="flick", press=0.45),
    ] + [Stroke(dot(x, y, rng, 0.45), tempo=0.5, end="stop", press=0.5) for x, y in dots]
    record("j-whitfield", (2048, 720, 400), strokes, seed=4, hz=90, with_pressure=True,
           origin_mm=(6.0, 4.0))


if __name__ == "__main__":
    lena_hollis()
    marc_dubois()
    wang_xiaoming()
    j_whitfield()
