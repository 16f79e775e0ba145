import XCTest
@testable import LiuhenAppLogic

final class PermissionTests: XCTestCase {
    func testGrantedProceedsAndUndeterminedAsks() {
        XCTAssertEqual(PermissionPolicy.decide(.camera, .granted), .proceed)
        XCTAssertEqual(PermissionPolicy.decide(.microphone, .notDetermined), .request)
    }

    func testDeniedMicrophoneExplainsHowToEnableAndKeepsText() {
        guard case let .explain(prompt) = PermissionPolicy.decide(.microphone, .denied) else {
            return XCTFail("denied must explain")
        }
        XCTAssertTrue(prompt.offersSettings)
        XCTAssertTrue(prompt.message.contains("设置 > 留痕 > 麦克风"))
        XCTAssertTrue(prompt.message.contains("R-SCENE-3"))
        XCTAssertTrue(prompt.message.contains("不会丢失"))
        XCTAssertNil(prompt.alternative)
    }

    func testDeniedCameraOffersTheAlbum() {
        guard case let .explain(prompt) = PermissionPolicy.decide(.camera, .denied) else {
            return XCTFail("denied must explain")
        }
        XCTAssertTrue(prompt.message.contains("设置 > 留痕 > 相机"))
        XCTAssertEqual(prompt.alternative, "从相册选择")
    }

    func testRestrictedDoesNotOfferSettings() {
        guard case let .explain(prompt) = PermissionPolicy.decide(.camera, .restricted) else {
            return XCTFail("restricted must explain")
        }
        XCTAssertFalse(prompt.offersSettings)
        XCTAssertTrue(prompt.message.contains("管理员"))
    }
}
