package cn.liuhen.app.logic

/** A runtime permission the inspection flow needs. */
enum class AppPermission(
    /** The device capability in Chinese. */
    val label: String,
    /** What cannot be done without it (Chinese). */
    val blocks: String,
) {
    /** CAMERA: photos of the site and of documents. */
    CAMERA("相机", "无法拍摄现场照片"),

    /** RECORD_AUDIO: the recorded identity notice (R-SCENE-3, R-REC-2). */
    MICROPHONE("麦克风", "无法录制亮证告知录音（R-REC-2: 现场检查须录音录像）"),

    /** ACCESS_FINE_LOCATION (or coarse): the capture position on evidence; optional. */
    LOCATION("位置信息", "照片和录音将不带位置"),
}

/** What the app knows about one permission. */
enum class PermissionStatus {
    /** Not asked yet in this install. */
    NOT_ASKED,

    /** Granted. */
    GRANTED,

    /** Denied; the system dialog may be shown again. */
    DENIED,

    /** Denied with "don't ask again" (or by policy): only the system Settings can grant it. */
    DENIED_PERMANENTLY,
}

/** What the screen offers the officer about a permission that is missing. */
enum class PermissionAction {
    /** Show the system permission dialog. */
    REQUEST,

    /** Open the app's page in the system Settings. */
    OPEN_SETTINGS,
}

/**
 * The explanation shown in place of the camera or recorder when a permission is
 * missing: what cannot be done, that nothing entered is lost, and how to grant it.
 *
 * @property permission the permission.
 * @property text the explanation (Chinese).
 * @property action what the button does.
 * @property actionLabel the button's label (Chinese).
 */
data class PermissionNotice(
    val permission: AppPermission,
    val text: String,
    val action: PermissionAction,
    val actionLabel: String,
)

/**
 * The camera and microphone permissions, as the Android layer reports them after
 * each request (`shouldShowRequestPermissionRationale` tells denied from denied
 * permanently). Pure state; the flow reads [notice] to decide what to draw.
 *
 * @property statuses the status of each permission (missing = not asked).
 */
data class PermissionState(
    val statuses: Map<AppPermission, PermissionStatus> = emptyMap(),
) {
    /** The status of [p]. */
    fun status(p: AppPermission): PermissionStatus = statuses[p] ?: PermissionStatus.NOT_ASKED

    /** Whether [p] is granted. */
    fun granted(p: AppPermission): Boolean = status(p) == PermissionStatus.GRANTED

    /**
     * The state after the system answered a request (or after returning from Settings).
     *
     * @param granted whether the permission is granted now.
     * @param canAskAgain whether the system dialog may be shown again.
     */
    fun withResult(p: AppPermission, granted: Boolean, canAskAgain: Boolean): PermissionState {
        val s = when {
            granted -> PermissionStatus.GRANTED
            canAskAgain -> PermissionStatus.DENIED
            else -> PermissionStatus.DENIED_PERMANENTLY
        }
        return copy(statuses = statuses + (p to s))
    }

    /** The explanation to show for [p], or `null` when it is granted. */
    fun notice(p: AppPermission): PermissionNotice? = when (status(p)) {
        PermissionStatus.GRANTED -> null
        PermissionStatus.NOT_ASKED -> PermissionNotice(
            p,
            "需要使用${p.label}。请在系统弹窗中选择“允许”。",
            PermissionAction.REQUEST,
            "允许使用${p.label}",
        )
        PermissionStatus.DENIED -> PermissionNotice(
            p,
            "未获得${p.label}权限，${p.blocks}。已填写的内容和已保存的记录不会丢失。",
            PermissionAction.REQUEST,
            "重新申请${p.label}权限",
        )
        PermissionStatus.DENIED_PERMANENTLY -> PermissionNotice(
            p,
            "${p.label}权限已被拒绝，${p.blocks}。已填写的内容和已保存的记录不会丢失。" +
                "请打开 系统设置 → 应用 → 留痕 → 权限，允许使用${p.label}，然后返回本页继续。",
            PermissionAction.OPEN_SETTINGS,
            "打开系统设置",
        )
    }
}
