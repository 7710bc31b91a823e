plugins {
    alias(libs.plugins.android.application) apply false
    // AGP 9 compiles Kotlin itself ("built-in Kotlin") with the Kotlin Gradle plugin on the
    // build classpath; declaring the plugin here, unapplied, puts the catalog's version there.
    alias(libs.plugins.kotlin.android) apply false
    alias(libs.plugins.kotlin.compose) apply false
}
