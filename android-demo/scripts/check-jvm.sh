#!/usr/bin/env bash
# What can be checked of the Android demo without an Android SDK: its SDK-facing code
# (app/src/main/java/org/ereceipt/demo/ReceiptFlow.kt, no android.* imports) is compiled with
# kotlinc against the generated Kotlin bindings and run on the JVM against the debug library
# (scripts/JvmCheck.kt: amounts, the signer's key and signature conversions, a whole sale on a
# local test terminal, verification, an error told in words).
#
# Uses the tools bindings/scripts/test-kotlin.sh installs (kotlinc from npm, JNA from Debian)
# and the jar it compiles from the generated bindings; run that first (scripts/test.sh does).
# CARGO_TARGET_DIR: where the library and that jar are (default: the workspace's target/).
source "$(dirname "$0")/../../bindings/scripts/lib.sh"

KOTLIN_HOME="$TOOLS_CACHE/kotlin-2.4.20/node_modules/kotlin-compiler"
JNA_JAR=/usr/share/java/jna.jar
COROUTINES="$KOTLIN_HOME/lib/kotlinx-coroutines-core-jvm.jar"
STDLIB="$KOTLIN_HOME/lib/kotlin-stdlib.jar"
BINDINGS_JAR="$TARGET_DIR/kotlin-bridge-tests/bridge-tests.jar"
for needed in "$KOTLIN_HOME/bin/kotlinc" "$JNA_JAR" "$BINDINGS_JAR" "$LIB_PATH"; do
  if [[ ! -e "$needed" ]]; then
    echo "android-demo check: $needed is missing; run bash bindings/scripts/test-kotlin.sh first" >&2
    exit 1
  fi
done

demo="$WORKSPACE_DIR/android-demo"
out="$TARGET_DIR/android-demo-check"
jar="$out/check.jar"
sources=("$demo/app/src/main/java/org/ereceipt/demo/ReceiptFlow.kt" "$demo/scripts/JvmCheck.kt")
mkdir -p "$out"
if [[ ! -f "$jar" ]] || [[ -n "$(find "${sources[@]}" "$BINDINGS_JAR" -newer "$jar")" ]]; then
  log "kotlinc: android-demo ReceiptFlow.kt + scripts/JvmCheck.kt against the generated bindings"
  "$KOTLIN_HOME/bin/kotlinc" -jvm-target 17 -Werror -cp "$BINDINGS_JAR:$JNA_JAR:$COROUTINES" \
    "${sources[@]}" -d "$jar"
fi
java -Djna.library.path="$(dirname "$LIB_PATH")" -Dereceipt.workspace="$WORKSPACE_DIR" \
  -cp "$jar:$BINDINGS_JAR:$STDLIB:$COROUTINES:$JNA_JAR" org.ereceipt.demo.check.JvmCheckKt
