package cn.liuhen.app.logic

import cn.liuhen.core.Enrollment
import cn.liuhen.core.LiuhenCore
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext

/**
 * The enrolment screen's state.
 *
 * @property form the form.
 * @property busy whether enrolment is under way.
 * @property message the error (or the re-enrol reason) to show.
 * @property enrolled the enrolment once it succeeded.
 * @property reEnrol whether the device is here because its token was revoked (records are kept).
 */
data class EnrollmentScreen(
    val form: EnrollmentForm = EnrollmentForm(),
    val busy: Boolean = false,
    val message: UserMessage? = null,
    val enrolled: Enrollment? = null,
    val reEnrol: Boolean = false,
) {
    /** Field errors to show under the fields (only after the first submit attempt). */
    val fieldErrors: Map<String, String> get() = form.errors()

    /** The submit button. */
    val submit: ActionState
        get() = ActionState.of(
            "登记设备",
            if (busy) "正在登记，请稍候" else null,
            form.errors().values.firstOrNull(),
        )

    /** The explanation above the form. */
    val intro: String
        get() = if (reEnrol) ErrorPresenter.RE_ENROL
        else "请扫描管理员提供的登记二维码，或输入服务器地址和一次性登记码。"
}

/**
 * Enrols the device with a code or a scanned QR payload; the call runs on [io]. After
 * success background sync is resumed (a stop for re-enrolment is cleared).
 *
 * @param deviceName the name the server lists the device under (e.g. the phone model).
 */
class EnrollmentController(
    private val core: LiuhenCore,
    private val sync: SyncCoordinator,
    private val io: CoroutineDispatcher,
    private val deviceName: String,
    reEnrol: Boolean = false,
) {
    private val _screen = MutableStateFlow(EnrollmentScreen(reEnrol = reEnrol))

    /** The screen state. */
    val screen: StateFlow<EnrollmentScreen> = _screen

    /** The server address was typed. */
    fun serverUrlChanged(v: String) = _screen.update { it.copy(form = it.form.withServerUrl(v), message = null) }

    /** The code was typed. */
    fun codeChanged(v: String) = _screen.update { it.copy(form = it.form.withCode(v), message = null) }

    /** The camera read a QR code. */
    fun scanned(payload: String) = _screen.update { it.copy(form = it.form.withScanned(payload)) }

    /** Enrols; returns the enrolment, or `null` (the screen then shows why). */
    suspend fun submit(): Enrollment? {
        val s = _screen.value
        val req = s.form.validate() ?: return null
        if (s.busy) return null
        _screen.update { it.copy(busy = true, message = null) }
        return try {
            val e = withContext(io) { core.enrollWithCode(req.code, req.serverUrl, deviceName) }
            sync.enrolled()
            _screen.update { it.copy(busy = false, enrolled = e, reEnrol = false) }
            e
        } catch (e: Exception) {
            _screen.update { it.copy(busy = false, message = ErrorPresenter.present(e)) }
            null
        }
    }
}
