plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.compose)
}

/**
 * The SDK's AAR where `bindings/scripts/build-android.sh` writes it:
 * `$CARGO_TARGET_DIR/android/ereceipt-android-<version>.aar` (the target directory defaults
 * to the repository's `target/`; the version is the workspace's, from the root Cargo.toml).
 * `-Pereceipt.aar=/path/to.aar` picks another.
 */
val ereceiptAar: File = providers.gradleProperty("ereceipt.aar").orNull?.let(::File) ?: run {
    val repository = rootDir.parentFile
    val cargoToml = providers.fileContents(rootProject.layout.projectDirectory.file("../Cargo.toml")).asText.get()
    val version = Regex("""(?m)^version = "(.+)"""").find(cargoToml)?.groupValues?.get(1)
        ?: error("no version = \"…\" in ${repository}/Cargo.toml")
    val target = providers.environmentVariable("CARGO_TARGET_DIR").orNull?.let(::File) ?: File(repository, "target")
    File(target, "android/ereceipt-android-$version.aar")
}

android {
    namespace = "org.ereceipt.demo"
    compileSdk = libs.versions.compileSdk.get().toInt()

    defaultConfig {
        applicationId = "org.ereceipt.demo"
        minSdk = libs.versions.minSdk.get().toInt()
        targetSdk = libs.versions.targetSdk.get().toInt()
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        getByName("release") {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    buildFeatures {
        compose = true
    }
    packaging {
        // The SDK's library is 16 KB page aligned; stored uncompressed, it is mapped in place.
        jniLibs.useLegacyPackaging = false
    }
}

val checkEreceiptAar by tasks.registering {
    val aar = ereceiptAar
    doLast {
        check(aar.isFile) { "no SDK AAR at $aar: run bindings/scripts/build-android.sh first, or pass -Pereceipt.aar=PATH" }
    }
}
tasks.named("preBuild") { dependsOn(checkEreceiptAar) }

dependencies {
    implementation(files(ereceiptAar))
    // The AAR's own dependencies, which its POM names and a file dependency does not read:
    // JNA as an AAR (its Android native part) and coroutines for the suspend functions.
    implementation("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")
    implementation(libs.kotlinx.coroutines.android)

    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.material3)
    implementation(libs.activity.compose)
    implementation(libs.lifecycle.viewmodel.compose)
}
