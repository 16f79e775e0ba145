import XCTest
@testable import LiuhenAppLogic

final class EnrollmentFormTests: XCTestCase {
    func testScannedPayloadFillsFieldsAndIsSentAsIs() {
        var form = EnrollmentForm(deviceName: "张三的 iPhone")
        let qr = "liuhen://enroll?server=https%3A%2F%2Fzf.example.gov.cn%3A8443%2F&code=K7Q2-9XPM"
        XCTAssertTrue(form.applyScan(qr))
        XCTAssertEqual(form.serverUrl, "https://zf.example.gov.cn:8443/")
        XCTAssertEqual(form.code, "K7Q2-9XPM")
        XCTAssertTrue(form.canSubmit)
        let request = form.request()
        XCTAssertEqual(request?.codeOrQr, qr)
        XCTAssertEqual(request?.deviceName, "张三的 iPhone")
    }

    func testEditedCodeAfterScanSendsTypedValues() {
        var form = EnrollmentForm(deviceName: "iPhone")
        form.applyScan("liuhen://enroll?server=http%3A%2F%2F10.0.0.2%3A8080&code=AAAA")
        form.code = "BBBB"
        XCTAssertEqual(form.request(), EnrollmentRequest(codeOrQr: "BBBB", serverUrl: "http://10.0.0.2:8080", deviceName: "iPhone"))
    }

    func testForeignQrIsRefusedAndTypedTextKept() {
        var form = EnrollmentForm(serverUrl: "https://a.example", code: "XYZ", deviceName: "iPhone")
        XCTAssertFalse(form.applyScan("https://weixin.qq.com/x"))
        XCTAssertNotNil(form.scanMessage)
        XCTAssertEqual(form.code, "XYZ")
        XCTAssertEqual(form.serverUrl, "https://a.example")
    }

    func testQrWithoutCodeIsNotAnEnrollmentCode() {
        XCTAssertNil(EnrollmentPayload.parse("liuhen://enroll?server=https%3A%2F%2Fa"))
    }

    func testMissingFieldsAreNamed() {
        var form = EnrollmentForm(deviceName: "iPhone")
        XCTAssertEqual(form.missing, "请输入登记码，或扫描登记二维码")
        form.code = " C0DE "
        XCTAssertNotNil(form.missing?.range(of: "服务器地址"))
        form.serverUrl = "https://a.example"
        XCTAssertNil(form.missing)
        XCTAssertEqual(form.request(), EnrollmentRequest(codeOrQr: "C0DE", serverUrl: "https://a.example", deviceName: "iPhone"))
        form.submitting = true
        XCTAssertFalse(form.canSubmit)
    }
}
