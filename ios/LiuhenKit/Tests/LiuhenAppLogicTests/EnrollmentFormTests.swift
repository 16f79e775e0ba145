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
        var form = EnrollmentForm(deviceName: "iPhone15,4 · 3f9a2c")
        form.applyScan("liuhen://enroll?server=http%3A%2F%2F10.0.0.2%3A8080&code=AAAA")
        form.code = "BBBB"
        XCTAssertEqual(form.request(), EnrollmentRequest(codeOrQr: "BBBB", serverUrl: "http://10.0.0.2:8080", deviceName: "iPhone15,4 · 3f9a2c"))
    }

    func testForeignQrIsRefusedAndTypedTextKept() {
        var form = EnrollmentForm(serverUrl: "https://a.example", code: "XYZ", deviceName: "iPhone15,4 · 3f9a2c")
        XCTAssertFalse(form.applyScan("https://weixin.qq.com/x"))
        XCTAssertNotNil(form.scanMessage)
        XCTAssertEqual(form.code, "XYZ")
        XCTAssertEqual(form.serverUrl, "https://a.example")
    }

    func testQrWithoutCodeIsNotAnEnrollmentCode() {
        XCTAssertNil(EnrollmentPayload.parse("liuhen://enroll?server=https%3A%2F%2Fa"))
    }

    func testMissingFieldsAreNamed() {
        var form = EnrollmentForm(deviceName: "iPhone15,4 · 3f9a2c")
        XCTAssertEqual(form.missing, "请输入登记码，或扫描登记二维码")
        form.code = " C0DE "
        XCTAssertNotNil(form.missing?.range(of: "服务器地址"))
        form.serverUrl = "https://a.example"
        XCTAssertNil(form.missing)
        XCTAssertEqual(form.request(), EnrollmentRequest(codeOrQr: "C0DE", serverUrl: "https://a.example", deviceName: "iPhone15,4 · 3f9a2c"))
        form.submitting = true
        XCTAssertFalse(form.canSubmit)
    }

    /// iOS 16+ calls every phone 「iPhone」: the form is prefilled with model and short
    /// id, and a generic name alone is refused (issue 21).
    func testDeviceNameTellsPhonesApart() {
        let a = DeviceNaming.defaultName(hardwareModel: "iPhone15,4", deviceId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
        let b = DeviceNaming.defaultName(hardwareModel: "iPhone15,4", deviceId: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e99ffee")
        XCTAssertEqual(a, "iPhone15,4 · 3f4a5b")
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(DeviceNaming.defaultName(hardwareModel: "", deviceId: ""), "iPhone")
        var form = EnrollmentForm(serverUrl: "https://zf.example.gov.cn", code: "AAAA", deviceName: " iPhone ")
        XCTAssertFalse(form.canSubmit)
        XCTAssertTrue(form.missing?.contains("无法区分") ?? false)
        form.deviceName = "李明的 iPhone"
        XCTAssertTrue(form.canSubmit)
        XCTAssertEqual(form.request()?.deviceName, "李明的 iPhone")
    }
}
