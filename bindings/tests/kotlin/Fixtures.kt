// Fixtures of the Kotlin bridge tests: sample data, a Kotlin clock and a P-256 signer made
// with the JDK's own crypto (as an app would with Android Keystore), and a live receipt
// platform (`ereceipt platform serve`) run as a child process.

package org.ereceipt.sdk.bridgetest

import org.ereceipt.sdk.*
import java.io.File
import java.math.BigInteger
import java.net.ServerSocket
import java.nio.ByteBuffer
import java.nio.file.Files
import java.security.KeyPairGenerator
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import java.util.zip.CRC32
import java.util.zip.Deflater
import java.util.zip.Inflater

val WORKSPACE: File = File(System.getProperty("ereceipt.workspace") ?: error("-Dereceipt.workspace is not set"))
val DATA = File(WORKSPACE, "tests/data")

const val MERCHANT_ID = "898310048990001"
const val MERCHANT_NAME = "上海静安星光咖啡馆"
const val TERMINAL_ID = "SH000001"

fun transactionJson(name: String = "cny-sale") = File(DATA, "transactions/$name.json").readText()

fun transactionNames() =
    File(DATA, "transactions").listFiles()!!.filter { it.name.endsWith(".json") }.map { it.nameWithoutExtension }.sorted()

fun sampleSignature(name: String = "wang-xiaoming") =
    HandwrittenSignature.fromJson(File(DATA, "signatures/$name.json").readText())

fun tempDir(prefix: String): File = Files.createTempDirectory("ereceipt-kt-$prefix").toFile().also { it.deleteOnExit() }

fun config(dir: File, platformUrl: String? = null, maxPending: ULong? = null, attempts: UInt? = null) =
    SdkConfig(storageDir = File(dir, "terminal").path, platformUrl = platformUrl,
              maxPendingReceipts = maxPending, uploadAttempts = attempts)

val PAD = SignaturePad(width = 1200u, height = 480u, dpi = 267u)

/** Three strokes of timed points with pressure, on [PAD]. */
fun penStrokes(): List<List<PenPoint>> {
    var t = 1_000UL
    return (0 until 3).map { s ->
        (0 until 30).map { i ->
            PenPoint(x = 100f + s * 300 + i * 8f, y = 200f + (i % 7) * 12f, tMs = t, pressure = 0.5f).also { t += 8u }
        }.also { t += 150u }
    }
}

fun draw(capture: SignatureCapture, strokes: List<List<PenPoint>>) {
    for (stroke in strokes) {
        capture.beginStroke(stroke.first())
        capture.addPoints(stroke.drop(1))
        capture.endStroke()
    }
}

/** A clock the test moves by hand; the SDK reads it from Rust. */
class ManualClock(var now: ULong) : Clock {
    var calls = 0
    var broken = false
    override fun nowMs(): ULong {
        calls++
        if (broken) throw EReceiptException.Internal("clock broken")
        return now
    }
}

/**
 * A P-256 key of the JDK, standing in for Android Keystore: `SHA256withECDSA` gives DER, which
 * the SDK's helper turns into the fixed form.
 */
class JavaSigner : Signer {
    private val keys = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
    @Volatile var signCalls = 0
    @Volatile var failWith: Exception? = null

    override fun sign(message: ByteArray): ByteArray {
        signCalls++
        failWith?.let { throw it }
        val der = java.security.Signature.getInstance("SHA256withECDSA").run {
            initSign(keys.private)
            update(message)
            sign()
        }
        return derToFixedSignature(der)
    }

    override fun publicKey(): ByteArray {
        val point = (keys.public as ECPublicKey).w
        fun fixed(v: BigInteger) = v.toByteArray().takeLast(32).toByteArray().let { ByteArray(32 - it.size) + it }
        return byteArrayOf(4) + fixed(point.affineX) + fixed(point.affineY)
    }
}

fun closedPortUrl(): String = ServerSocket(0).use { "http://127.0.0.1:${it.localPort}/" }

/** Inverts the pixels of some rows of a 1-bit, unfiltered PNG, keeping its other chunks. */
fun tamperPng(png: ByteArray, rows: IntRange = 300 until 330): ByteArray {
    val chunks = mutableListOf<Pair<String, ByteArray>>()
    var pos = 8
    while (pos < png.size) {
        val length = ByteBuffer.wrap(png, pos, 4).int
        chunks += String(png, pos + 4, 4, Charsets.US_ASCII) to png.copyOfRange(pos + 8, pos + 8 + length)
        pos += 12 + length
    }
    val header = chunks.first { it.first == "IHDR" }.second
    val width = ByteBuffer.wrap(header, 0, 4).int
    val stride = 1 + (width + 7) / 8
    val compressed = chunks.filter { it.first == "IDAT" }.fold(ByteArray(0)) { a, c -> a + c.second }
    val raw = Inflater().run { setInput(compressed); val out = java.io.ByteArrayOutputStream(); val buf = ByteArray(65536); while (!finished()) { val n = inflate(buf); out.write(buf, 0, n) }; out.toByteArray() }
    for (y in rows) for (x in y * stride + 2 until y * stride + stride / 2) raw[x] = (raw[x].toInt() xor 0xFF).toByte()
    val deflated = Deflater(9).run { setInput(raw); finish(); val out = java.io.ByteArrayOutputStream(); val buf = ByteArray(65536); while (!finished()) { val n = deflate(buf); out.write(buf, 0, n) }; out.toByteArray() }
    val out = java.io.ByteArrayOutputStream()
    out.write(png, 0, 8)
    var idatWritten = false
    for ((kind, data0) in chunks) {
        var data = data0
        if (kind == "IDAT") { if (idatWritten) continue; data = deflated; idatWritten = true }
        val typeAndData = kind.toByteArray(Charsets.US_ASCII) + data
        out.write(ByteBuffer.allocate(4).putInt(data.size).array())
        out.write(typeAndData)
        out.write(ByteBuffer.allocate(4).putInt(CRC32().apply { update(typeAndData) }.value.toInt()).array())
    }
    return out.toByteArray()
}

/** `ereceipt platform serve` on a free port with its own data directory. */
class Platform private constructor(private val exe: String, private val data: File) : AutoCloseable {
    private val process: Process = ProcessBuilder(exe, "platform", "serve", "--data", data.path, "--listen", "127.0.0.1:0")
        .redirectErrorStream(true).start()
    val url: String

    init {
        val lines = LinkedBlockingQueue<String>()
        val log = File(data.parentFile, "platform.log")
        Thread {
            try {
                process.inputStream.bufferedReader().forEachLine { log.appendText(it + "\n"); lines.put(it) }
            } catch (_: java.io.IOException) {
                // The platform was stopped and its output closed.
            }
        }.apply { isDaemon = true }.start()
        var found: String? = null
        while (found == null) {
            val line = lines.poll(60, TimeUnit.SECONDS) ?: run { close(); error("the platform did not say where it listens; see $log") }
            if ("listening on " in line) found = line.substringAfter("listening on ").split(" ").first().trimEnd('/') + "/"
        }
        url = found
    }

    private fun cliJson(vararg args: String): String {
        val p = ProcessBuilder(exe, "platform", *args, "--data", data.path, "--json").start()
        val out = p.inputStream.bufferedReader().readText()
        val err = p.errorStream.bufferedReader().readText()
        check(p.waitFor() == 0) { "ereceipt platform ${args.toList()} failed: $err" }
        return out
    }

    fun addMerchant(id: String = MERCHANT_ID, name: String = MERCHANT_NAME) {
        cliJson("merchant", "add", "--name", name, "--id", id)
    }

    fun enrollmentToken(merchant: String = MERCHANT_ID): String {
        val json = cliJson("enrollment-token", "--merchant", merchant)
        return Regex("\"token\"\\s*:\\s*\"([^\"]+)\"").find(json)?.groupValues?.get(1) ?: error("no token in $json")
    }

    fun stop() {
        if (process.isAlive) {
            process.destroy()
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor()
        }
    }

    override fun close() = stop()

    companion object {
        private fun exe(): File {
            System.getenv("ERECEIPT_BIN")?.let { return File(it) }
            val target = System.getenv("CARGO_TARGET_DIR")?.let(::File) ?: File(WORKSPACE, "target")
            return File(target, "debug/ereceipt")
        }

        private fun missing(): String? {
            val exe = exe()
            if (!exe.exists()) return "$exe is not built (cargo build -p ereceipt-cli)"
            val probe = ProcessBuilder(exe.path, "platform", "serve", "--help").redirectErrorStream(true).start()
            probe.inputStream.readAllBytes()
            return if (probe.waitFor() == 0) null else "this `ereceipt` has no `platform serve` command yet"
        }

        /** A fresh platform with the sample merchant; skips (or fails with ERECEIPT_REQUIRE_PLATFORM=1). */
        fun start(): Platform {
            missing()?.let {
                if (System.getenv("ERECEIPT_REQUIRE_PLATFORM") == "1") throw AssertionError("live platform required: $it")
                throw Skipped("live platform unavailable: $it")
            }
            val data = File(tempDir("platform"), "data").apply { mkdirs() }
            return Platform(exe().path, data).also { it.addMerchant() }
        }
    }
}
