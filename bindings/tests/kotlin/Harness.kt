// A minimal test runner for the Kotlin bridge tests (Maven Central, and so JUnit, is not
// reachable where they run; kotlinc, the stdlib and kotlinx-coroutines come from npm).
// Each test is a named block; the run ends with "N passed, N failed, N skipped".

package org.ereceipt.sdk.bridgetest

import kotlin.system.exitProcess

class Skipped(reason: String) : Exception(reason)

object Harness {
    private var passed = 0
    private var failed = 0
    private var skipped = 0
    private val only: String? = System.getenv("TEST_FILTER")

    fun test(name: String, body: () -> Unit) {
        if (only != null && !name.contains(only)) return
        try {
            body()
            passed++
            println("ok       $name")
        } catch (s: Skipped) {
            skipped++
            println("skipped  $name: ${s.message}")
        } catch (t: Throwable) {
            failed++
            println("FAILED   $name: $t")
            t.printStackTrace(System.out)
        }
    }

    fun finish(): Nothing {
        println("$passed passed, $failed failed, $skipped skipped")
        exitProcess(if (failed == 0) 0 else 1)
    }
}

fun check(condition: Boolean, what: () -> String = { "check failed" }) {
    if (!condition) throw AssertionError(what())
}

fun <T> checkEquals(expected: T, actual: T, what: String = "") {
    if (expected != actual) throw AssertionError("$what expected <$expected> but was <$actual>")
}

inline fun <reified T : Throwable> assertThrows(block: () -> Unit): T {
    try {
        block()
    } catch (t: Throwable) {
        if (t is T) return t
        throw AssertionError("expected ${T::class.simpleName} but got $t", t)
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}
