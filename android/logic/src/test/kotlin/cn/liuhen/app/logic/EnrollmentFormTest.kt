package cn.liuhen.app.logic

import org.junit.Test
import kotlin.test.assertEquals
import kotlin.test.assertNull

/** Enrolment by code or QR payload, with Chinese field errors. */
class EnrollmentFormTest {
    @Test
    fun qrPayloadFillsServerAndCode() {
        val f = EnrollmentForm().withScanned("liuhen://enroll?server=https%3A%2F%2Fzf.qingyuan.gov.cn%2F&code=AB12-CD34")
        assertEquals("https://zf.qingyuan.gov.cn", f.serverUrl)
        assertEquals("AB12-CD34", f.code)
        assertEquals(EnrollmentRequest("https://zf.qingyuan.gov.cn", "AB12-CD34"), f.validate())
    }

    @Test
    fun aForeignQrCodeKeepsWhatWasTypedAndSaysWhy() {
        val typed = EnrollmentForm().withServerUrl("https://zf.example.cn").withCode("X1")
        val f = typed.withScanned("https://weixin.qq.com/abc")
        assertEquals("https://zf.example.cn", f.serverUrl)
        assertEquals("X1", f.code)
        assertEquals("二维码不是留痕设备登记码，请扫描管理员提供的登记二维码", f.scanError)
        assertEquals("登记二维码中缺少登记码，请让管理员重新生成", EnrollmentForm().withScanned("liuhen://enroll?server=https%3A%2F%2Fa.cn").scanError)
    }

    @Test
    fun serverAddressAndCodeAreValidatedInChinese() {
        assertEquals(
            mapOf("server_url" to "请填写服务器地址，或扫描登记二维码", "code" to "请输入管理员提供的登记码"),
            EnrollmentForm().errors(),
        )
        assertEquals("服务器地址须以 https:// 或 http:// 开头", EnrollmentForm.serverUrlError("zf.example.cn"))
        assertEquals("服务器地址须以 https:// 或 http:// 开头", EnrollmentForm.serverUrlError("ftp://zf.example.cn"))
        assertEquals("服务器地址缺少主机名，例如 https://zf.example.gov.cn", EnrollmentForm.serverUrlError("https:///login"))
        assertEquals("服务器地址格式不正确，例如 https://zf.example.gov.cn", EnrollmentForm.serverUrlError("https://zf example.cn"))
        assertNull(EnrollmentForm.serverUrlError("http://127.0.0.1:8080"))
        assertEquals("登记码中不应有空格，请核对后重新输入", EnrollmentForm().withCode("AB 12").errors()["code"])
        assertEquals(false, EnrollmentForm().withServerUrl("https://a.cn").canSubmit)
    }
}
