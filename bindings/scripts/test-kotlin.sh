#!/usr/bin/env bash
# Compiles the Kotlin bridge tests (bindings/tests/kotlin/) with the committed generated
# bindings and runs them on the JVM against the debug library.
#
# Installs what it needs, idempotently: kotlinc 2.4.20 with its stdlib and kotlinx-coroutines
# from npm (package `kotlin-compiler`) into $TOOLS_CACHE, and JNA from Debian (`libjna-java`).
# Needs a JDK (17 is what CI has). The live-platform tests need `ereceipt platform serve`
# (scripts/test.sh builds it); without it they are skipped, or fail with
# ERECEIPT_REQUIRE_PLATFORM=1.
source "$(dirname "$0")/lib.sh"

KOTLIN_VERSION=2.4.20
KOTLIN_HOME="$TOOLS_CACHE/kotlin-$KOTLIN_VERSION/node_modules/kotlin-compiler"
if [[ ! -x "$KOTLIN_HOME/bin/kotlinc" ]]; then
  log "installing kotlin-compiler@$KOTLIN_VERSION from npm into $TOOLS_CACHE"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_CACHE/kotlin-$KOTLIN_VERSION" \
    "kotlin-compiler@$KOTLIN_VERSION" >/dev/null
fi
JNA_JAR=/usr/share/java/jna.jar
if [[ ! -f "$JNA_JAR" ]]; then
  log "installing libjna-java from Debian"
  SUDO=""; [[ "$(id -u)" == 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libjna-java >/dev/null
fi
STDLIB="$KOTLIN_HOME/lib/kotlin-stdlib.jar"
COROUTINES="$KOTLIN_HOME/lib/kotlinx-coroutines-core-jvm.jar"

build_library

out="$TARGET_DIR/kotlin-bridge-tests"
jar="$out/bridge-tests.jar"
sources=("$BINDINGS_DIR"/generated/kotlin/org/ereceipt/sdk/*.kt "$BINDINGS_DIR"/tests/kotlin/*.kt)
mkdir -p "$out"
# kotlinc takes a minute: compile again only when a source is newer than the jar.
if [[ ! -f "$jar" ]] || [[ -n "$(find "${sources[@]}" -newer "$jar" 2>/dev/null)" ]]; then
  log "kotlinc $KOTLIN_VERSION: generated bindings + bindings/tests/kotlin"
  "$KOTLIN_HOME/bin/kotlinc" -nowarn -jvm-target 17 -cp "$JNA_JAR:$COROUTINES" \
    "${sources[@]}" -d "$jar" 2> >(grep -v '^warning:' >&2)
fi

log "java -Djna.library.path=$(dirname "$LIB_PATH")"
java -Djna.library.path="$(dirname "$LIB_PATH")" -Dereceipt.workspace="$WORKSPACE_DIR" \
  -cp "$jar:$STDLIB:$COROUTINES:$JNA_JAR" org.ereceipt.sdk.bridgetest.BridgeTestKt
