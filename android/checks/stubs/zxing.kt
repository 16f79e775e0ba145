@file:Suppress("unused", "UNUSED_PARAMETER")

package com.journeyapps.barcodescanner

import androidx.activity.result.contract.ActivityResultContract

class ScanIntentResult {
    val contents: String? get() = TODO()
}

class ScanContract : ActivityResultContract<ScanOptions, ScanIntentResult>()

class ScanOptions {
    fun setDesiredBarcodeFormats(vararg formats: String): ScanOptions = TODO()
    fun setPrompt(prompt: String): ScanOptions = TODO()
    fun setBeepEnabled(enabled: Boolean): ScanOptions = TODO()

    companion object {
        const val QR_CODE: String = "QR_CODE"
    }
}
