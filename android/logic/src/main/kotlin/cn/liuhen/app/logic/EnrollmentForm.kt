package cn.liuhen.app.logic

import java.net.URI
import java.net.URISyntaxException
import java.net.URLDecoder

/** Prefix of the enrolment QR payload the server prints and shows to administrators. */
const val ENROLL_QR_PREFIX: String = "liuhen://enroll?"

/**
 * What a validated enrolment form hands to `LiuhenCore.enrollWithCode`.
 *
 * @property serverUrl the server address, without a trailing slash.
 * @property code the one-time enrolment code.
 */
data class EnrollmentRequest(val serverUrl: String, val code: String)

/**
 * The enrolment screen's form: either a typed server address and code, or a scanned
 * QR payload `liuhen://enroll?server=<url-encoded>&code=<code>`. Pure state: every
 * change returns a new form; [validate] says what is wrong, in Chinese, per field.
 *
 * @property serverUrl the server address as typed (or filled from a QR code).
 * @property code the one-time code as typed (or filled from a QR code).
 * @property scanError why the last scanned QR code was not used, if it was not.
 */
data class EnrollmentForm(
    val serverUrl: String = "",
    val code: String = "",
    val scanError: String? = null,
) {
    /** The form with a new server address typed. */
    fun withServerUrl(value: String): EnrollmentForm = copy(serverUrl = value, scanError = null)

    /** The form with a new code typed. */
    fun withCode(value: String): EnrollmentForm = copy(code = value, scanError = null)

    /**
     * The form after the camera read a QR code. A valid enrolment payload fills both
     * fields; anything else leaves what was typed untouched and explains why.
     */
    fun withScanned(payload: String): EnrollmentForm {
        val parsed = parseQr(payload)
            ?: return copy(scanError = "二维码不是留痕设备登记码，请扫描管理员提供的登记二维码")
        if (parsed.code.isBlank()) {
            return copy(scanError = "登记二维码中缺少登记码，请让管理员重新生成")
        }
        return copy(
            serverUrl = parsed.serverUrl.ifBlank { serverUrl },
            code = parsed.code,
            scanError = null,
        )
    }

    /** Every field error, keyed by field (`server_url`, `code`); empty when valid. */
    fun errors(): Map<String, String> {
        val out = linkedMapOf<String, String>()
        serverUrlError(serverUrl)?.let { out["server_url"] = it }
        val c = code.trim()
        when {
            c.isEmpty() -> out["code"] = "请输入管理员提供的登记码"
            c.any { it.isWhitespace() } -> out["code"] = "登记码中不应有空格，请核对后重新输入"
        }
        return out
    }

    /** The request to send, or `null` while [errors] is not empty. */
    fun validate(): EnrollmentRequest? =
        if (errors().isEmpty()) EnrollmentRequest(serverUrl.trim().trimEnd('/'), code.trim()) else null

    /** Whether the "登记设备" button is enabled. */
    val canSubmit: Boolean get() = validate() != null

    companion object {
        /**
         * Decodes a QR payload `liuhen://enroll?server=…&code=…`; `null` when it is not
         * an enrolment payload. The server value is percent-decoded.
         */
        fun parseQr(payload: String): EnrollmentRequest? {
            val p = payload.trim()
            if (!p.startsWith(ENROLL_QR_PREFIX)) return null
            var server = ""
            var code = ""
            for (pair in p.removePrefix(ENROLL_QR_PREFIX).split('&')) {
                val i = pair.indexOf('=')
                if (i < 0) continue
                val value = try {
                    // The (String, String) overload: (String, Charset) is Android API 33 and
                    // crashes on Android 8–12 (minSdk 26); scripts/check-android.sh refuses it.
                    URLDecoder.decode(pair.substring(i + 1), "UTF-8")
                } catch (_: IllegalArgumentException) {
                    pair.substring(i + 1)
                }
                when (pair.substring(0, i)) {
                    "server" -> server = value
                    "code" -> code = value
                }
            }
            return EnrollmentRequest(server.trim().trimEnd('/'), code.trim())
        }

        /** Why [url] cannot be a server address (Chinese), or `null` when it can. */
        fun serverUrlError(url: String): String? {
            val u = url.trim()
            if (u.isEmpty()) return "请填写服务器地址，或扫描登记二维码"
            val uri = try {
                URI(u)
            } catch (_: URISyntaxException) {
                return "服务器地址格式不正确，例如 https://zf.example.gov.cn"
            }
            val scheme = uri.scheme?.lowercase()
            if (scheme != "http" && scheme != "https") {
                return "服务器地址须以 https:// 或 http:// 开头"
            }
            if (uri.host.isNullOrBlank()) return "服务器地址缺少主机名，例如 https://zf.example.gov.cn"
            if (!uri.query.isNullOrEmpty() || !uri.fragment.isNullOrEmpty()) {
                return "服务器地址不应包含 ? 或 # 之后的内容"
            }
            return null
        }
    }
}
