#!/usr/bin/env bash
# What can be checked of the Android demo without an Android SDK. Its SDK-facing code has no
# android.* imports (app/src/main/java/org/ereceipt/demo/ReceiptFlow.kt and JcaSigner.kt): it
# is compiled with kotlinc, warnings as errors, against the generated Kotlin bindings, and
# scripts/JvmCheck.kt runs it on the JVM against the debug library: amounts, the signer, sales
# on a local test terminal and, when the `ereceipt` binary is built, enroll → sale → upload →
# verify against a live `ereceipt platform serve`.
#
# Tools: kotlinc 2.4.20 with its stdlib and kotlinx-coroutines from npm, and JNA from Debian,
# as bindings/scripts/test-kotlin.sh installs them (run it once). JvmCheck uses that suite's
# runner and live-platform fixture (bindings/tests/kotlin/Harness.kt, Fixtures.kt).
#
# CARGO_TARGET_DIR: where the library is built and the jars go (default: the repository's
# target/). ERECEIPT_REQUIRE_PLATFORM=1: fail, not skip, without the `ereceipt` binary
# ($CARGO_TARGET_DIR/debug/ereceipt, or ERECEIPT_BIN). DEMO_KOTLINC: another kotlinc for the
# demo's own sources, e.g. the Kotlin the app builds with (gradle/libs.versions.toml), to
# confirm it reads the bindings compiled by 2.4.20 as the AAR's classes.jar is.
source "$(dirname "$0")/../../bindings/scripts/lib.sh"

KOTLIN_HOME="$TOOLS_CACHE/kotlin-2.4.20/node_modules/kotlin-compiler"
JNA_JAR=/usr/share/java/jna.jar
STDLIB="$KOTLIN_HOME/lib/kotlin-stdlib.jar"
COROUTINES="$KOTLIN_HOME/lib/kotlinx-coroutines-core-jvm.jar"
for tool in "$KOTLIN_HOME/bin/kotlinc" "$JNA_JAR"; do
  if [[ ! -e "$tool" ]]; then
    echo "android-demo: $tool is missing; bash bindings/scripts/test-kotlin.sh installs it" >&2
    exit 1
  fi
done

build_library

demo="$WORKSPACE_DIR/android-demo"
app="$demo/app/src/main/java/org/ereceipt/demo"
out="$TARGET_DIR/android-demo-check"
mkdir -p "$out"
# With DEMO_KOTLINC, the demo's sources are always compiled again, by it, into their own jar.
demo_kotlinc="${DEMO_KOTLINC:-$KOTLIN_HOME/bin/kotlinc}"
check_jar="$out/check${DEMO_KOTLINC:+-demo-kotlinc}.jar"

# stale JAR SOURCE...: whether JAR is missing or older than a source (kotlinc is slow).
stale() {
  local jar="$1"
  shift
  [[ ! -f "$jar" ]] || [[ -n "$(find "$@" -newer "$jar")" ]]
}

support=("$BINDINGS_DIR"/generated/kotlin/org/ereceipt/sdk/*.kt "$BINDINGS_DIR"/tests/kotlin/{Harness,Fixtures}.kt)
if stale "$out/support.jar" "${support[@]}"; then
  log "kotlinc: the generated bindings + the bridge tests' runner and fixtures"
  "$KOTLIN_HOME/bin/kotlinc" -nowarn -jvm-target 17 -cp "$JNA_JAR:$COROUTINES" \
    "${support[@]}" -d "$out/support.jar" 2> >(grep -v '^warning:' >&2)
fi
sources=("$app/ReceiptFlow.kt" "$app/JcaSigner.kt" "$demo/scripts/JvmCheck.kt")
if [[ -n "${DEMO_KOTLINC:-}" ]] || stale "$check_jar" "${sources[@]}" "$out/support.jar"; then
  log "$("$demo_kotlinc" -version 2>&1 | tail -n 1) -Werror: android-demo ReceiptFlow.kt, JcaSigner.kt, scripts/JvmCheck.kt"
  "$demo_kotlinc" -Werror -jvm-target 17 -cp "$out/support.jar:$JNA_JAR:$COROUTINES" \
    "${sources[@]}" -d "$check_jar"
fi

log "java: the android-demo JVM check"
java -Djna.library.path="$(dirname "$LIB_PATH")" -Dereceipt.workspace="$WORKSPACE_DIR" \
  -cp "$check_jar:$out/support.jar:$STDLIB:$COROUTINES:$JNA_JAR" org.ereceipt.demo.check.JvmCheckKt
