plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

/**
 * The SDK's AAR, built by `bindings/scripts/build-android.sh` (default output
 * `target/android/ereceipt-android-<version>.aar`); override with `-Pereceipt.aar=/path/to.aar`.
 */
val ereceiptAar: String = (findProperty("ereceipt.aar") as String?)
    ?: rootProject.file("../target/android").listFiles { f -> f.name.matches(Regex("ereceipt-android-.*\\.aar")) }
        ?.maxByOrNull { it.lastModified() }?.path
    ?: error("no SDK AAR: run bindings/scripts/build-android.sh first, or pass -Pereceipt.aar=PATH")

android {
    namespace = "org.ereceipt.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.ereceipt.demo"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
    buildFeatures {
        compose = true
    }
    packaging {
        // The SDK's library is 16 KB page aligned; keep it uncompressed so it is mapped in place.
        jniLibs.useLegacyPackaging = false
    }
}

dependencies {
    implementation(files(ereceiptAar))
    // The AAR's own dependencies (its .pom lists them; a file dependency does not read it).
    implementation("${libs.jna.get()}@aar")
    implementation(libs.coroutines.android)

    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.material3)
    implementation(libs.compose.ui.tooling.preview)
    implementation(libs.activity.compose)
    implementation(libs.lifecycle.viewmodel.compose)
}
