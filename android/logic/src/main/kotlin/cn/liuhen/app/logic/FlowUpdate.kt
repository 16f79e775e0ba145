package cn.liuhen.app.logic

import cn.liuhen.core.CaptureRequest
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.PartyResponse
import cn.liuhen.core.RightsNoticeRequest
import cn.liuhen.core.Step

/** Something the officer did on the inspection screen (or the Android layer reported). */
sealed interface FlowEvent {
    /** An officer checks in. */
    data class CheckIn(val officerId: String) : FlowEvent

    /** The system answered a permission request (or the app returned from Settings). */
    data class PermissionChanged(val permission: AppPermission, val granted: Boolean, val canAskAgain: Boolean) : FlowEvent

    /** The officer edited the statement to read. */
    data class StatementEdited(val text: String) : FlowEvent

    /** The recorder started. */
    data object RecordingStarted : FlowEvent

    /**
     * The recorder stopped and wrote [filePath] ([sizeBytes] bytes, [durationMillis] long).
     * An empty or zero-length recording is refused and nothing is stored.
     */
    data class RecordingFinished(
        val filePath: String,
        val sizeBytes: Long,
        val durationMillis: Long,
        val mediaType: String = "audio/mp4",
    ) : FlowEvent

    /** The recorder failed (microphone busy, ...); [reason] for the log. */
    data class RecordingFailed(val reason: String) : FlowEvent

    /** Store the identity notice with the recording taken. */
    data object SaveIdentityNotice : FlowEvent

    /** The finding text changed. */
    data class FindingTextChanged(val text: String) : FlowEvent

    /** The camera wrote a photo to [filePath]. */
    data class PhotoTaken(
        val filePath: String,
        val mediaType: String = "image/jpeg",
        val lat: Double? = null,
        val lon: Double? = null,
    ) : FlowEvent

    /** Store the finding with the photos not yet attached. */
    data object AddFinding : FlowEvent

    /** The signer's name changed. */
    data class SignerNameChanged(val name: String) : FlowEvent

    /** The signature pad was saved as a PNG at [filePath]. */
    data class SignatureDrawn(val filePath: String) : FlowEvent

    /** The party refuses (or no longer refuses) to sign. */
    data class PartyRefusedChanged(val refused: Boolean) : FlowEvent

    /** The witness of a refusal changed. */
    data class WitnessNameChanged(val name: String) : FlowEvent

    /** The refusal reason changed. */
    data class RefusalReasonChanged(val reason: String) : FlowEvent

    /** Store the rights notice. */
    data object SaveRightsNotice : FlowEvent

    /** Close the inspection on site. */
    data object Close : FlowEvent

    /** Choose what an amendment corrects. */
    data class AmendTargetChosen(val target: String) : FlowEvent

    /** The amendment text changed. */
    data class AmendTextChanged(val text: String) : FlowEvent

    /** Store the amendment. */
    data object SaveAmendment : FlowEvent

    /** The message was read. */
    data object DismissMessage : FlowEvent
}

/** A call into the core that an event asks for; the controller performs it off the UI thread. */
sealed interface CoreEffect {
    /** `checkIn`. */
    data class CheckIn(val officerId: String) : CoreEffect

    /** `captureEvidence` of a file. */
    data class Capture(val filePath: String, val request: CaptureRequest) : CoreEffect

    /** `recordIdentityNotice`. */
    data class IdentityNotice(val statement: String?, val recordingSha256: String) : CoreEffect

    /** `addFinding`. */
    data class AddFinding(val text: String, val evidence: List<String>) : CoreEffect

    /** `recordRightsNotice`. */
    data class RightsNotice(val request: RightsNoticeRequest) : CoreEffect

    /** `close`. */
    data object Close : CoreEffect

    /** `amend`. */
    data class Amend(val amends: String, val text: String) : CoreEffect
}

/** The model after an event, and the core call to make, if any. */
data class Update(val model: FlowModel, val effect: CoreEffect? = null)

/**
 * The inspection screen's decisions as pure functions (crux-style `update`): an event
 * and the model in, the new model and the core call to make out. Nothing typed is
 * dropped: drafts are cleared only in [done], after the core acknowledged the step.
 */
object FlowUpdate {
    /** Shortest identity-notice recording accepted (a spoken statement takes longer). */
    const val MIN_RECORDING_MILLIS: Long = 1_000

    /** Applies [e] to [m]. */
    fun update(m: FlowModel, e: FlowEvent): Update {
        val d = m.draft
        val v = m.view
        return when (e) {
            is FlowEvent.PermissionChanged ->
                Update(m.copy(permissions = m.permissions.withResult(e.permission, e.granted, e.canAskAgain)))
            is FlowEvent.StatementEdited -> Update(m.copy(draft = d.copy(statementOverride = e.text)))
            is FlowEvent.FindingTextChanged -> Update(m.copy(draft = d.copy(findingText = e.text)))
            is FlowEvent.SignerNameChanged -> Update(m.copy(draft = d.copy(signerName = e.name)))
            is FlowEvent.PartyRefusedChanged -> Update(m.copy(draft = d.copy(partyRefused = e.refused)))
            is FlowEvent.WitnessNameChanged -> Update(m.copy(draft = d.copy(witnessName = e.name)))
            is FlowEvent.RefusalReasonChanged -> Update(m.copy(draft = d.copy(refusalReason = e.reason)))
            is FlowEvent.AmendTargetChosen -> Update(m.copy(draft = d.copy(amendTarget = e.target)))
            is FlowEvent.AmendTextChanged -> Update(m.copy(draft = d.copy(amendText = e.text)))
            FlowEvent.DismissMessage -> Update(m.copy(message = null))
            FlowEvent.RecordingStarted -> if (!m.permissions.granted(AppPermission.MICROPHONE)) {
                Update(m.copy(message = permissionMessage(m, AppPermission.MICROPHONE)))
            } else {
                Update(m.copy(draft = d.copy(recording = RecordingState.Recording), message = null))
            }
            is FlowEvent.RecordingFailed -> Update(
                m.copy(
                    draft = d.copy(recording = RecordingState.Idle),
                    message = UserMessage("录音失败，未保存任何内容，请重新录制。（${e.reason}）", MessageKind.WARNING),
                ),
            )
            is FlowEvent.RecordingFinished -> when {
                e.sizeBytes <= 0L -> Update(
                    m.copy(
                        draft = d.copy(recording = RecordingState.Idle),
                        message = UserMessage("R-REC-2: 录音为空（0 字节），未保存。请检查麦克风后重新录制亮证告知。", MessageKind.WARNING, rule = "R-REC-2"),
                    ),
                )
                e.durationMillis < MIN_RECORDING_MILLIS -> Update(
                    m.copy(
                        draft = d.copy(recording = RecordingState.Idle),
                        message = UserMessage("R-REC-3: 录音过短，未保存。请在录音时完整宣读亮证告知用语。", MessageKind.WARNING, rule = "R-REC-3"),
                    ),
                )
                else -> Update(
                    m.copy(draft = d.copy(recording = RecordingState.Storing), busy = true, message = null),
                    CoreEffect.Capture(e.filePath, CaptureRequest(EvidenceType.AUDIO, e.mediaType, Step.IDENTITY_NOTICE, null, null)),
                )
            }
            else -> effectful(m, e, v)
        }
    }

    private fun effectful(m: FlowModel, e: FlowEvent, v: cn.liuhen.core.InspectionView?): Update {
        // Steps that change the record: refused while another one is being stored, and
        // explained (not silently ignored) when the flow says they cannot be done yet.
        if (m.busy || v == null) return Update(m)
        val screen = InspectionFlow.render(m)
        val d = m.draft
        fun blocked(a: ActionState) = Update(m.copy(message = UserMessage(a.whyNot ?: "", MessageKind.WARNING, rule = ruleOf(a.whyNot))))
        return when (e) {
            is FlowEvent.CheckIn -> {
                val row = screen.checkIn.officers.firstOrNull { it.id == e.officerId }
                if (row != null && !row.checkIn.enabled) blocked(row.checkIn)
                else Update(m.copy(busy = true, message = null), CoreEffect.CheckIn(e.officerId))
            }
            FlowEvent.SaveIdentityNotice -> {
                val a = screen.identity.save
                val rec = InspectionFlow.pendingRecording(v)
                if (!a.enabled || rec == null) blocked(a)
                else Update(m.copy(busy = true, message = null), CoreEffect.IdentityNotice(d.statementOverride, rec.sha256))
            }
            is FlowEvent.PhotoTaken -> {
                val a = screen.findings.takePhoto
                if (!a.enabled) blocked(a)
                else Update(
                    m.copy(busy = true, message = null),
                    CoreEffect.Capture(e.filePath, CaptureRequest(EvidenceType.PHOTO, e.mediaType, Step.FINDINGS, e.lat, e.lon)),
                )
            }
            FlowEvent.AddFinding -> {
                val a = screen.findings.addFinding
                if (!a.enabled) blocked(a)
                else Update(m.copy(busy = true, message = null), CoreEffect.AddFinding(d.findingText.trim(), screen.findings.unattachedPhotos))
            }
            is FlowEvent.SignatureDrawn -> if (v.closedAt != null || v.rightsNotice != null) {
                Update(m)
            } else {
                Update(
                    m.copy(busy = true, message = null),
                    CoreEffect.Capture(e.filePath, CaptureRequest(EvidenceType.SIGNATURE, "image/png", Step.RIGHTS_NOTICE, null, null)),
                )
            }
            FlowEvent.SaveRightsNotice -> {
                val a = screen.rights.save
                val sig = InspectionFlow.pendingSignature(v)
                if (!a.enabled) blocked(a)
                else {
                    val response = if (d.partyRefused) {
                        PartyResponse.Refused(d.witnessName.trim(), d.refusalReason.trim())
                    } else {
                        PartyResponse.Signed(d.signerName.trim(), sig?.sha256 ?: "")
                    }
                    val channels = d.remedyChannels.filter { it.isNotBlank() }
                    Update(m.copy(busy = true, message = null), CoreEffect.RightsNotice(RightsNoticeRequest(RIGHTS_NOTICE_VERSION, channels, response)))
                }
            }
            FlowEvent.Close -> {
                val a = screen.close.close
                // Closing with unmet rules still goes to the core, which answers with
                // every unmet rule (CloseRefused); other reasons are explained here.
                if (!a.enabled && m.unmet.isEmpty()) blocked(a)
                else Update(m.copy(busy = true, message = null), CoreEffect.Close)
            }
            FlowEvent.SaveAmendment -> {
                val a = screen.amend?.save
                if (a == null || !a.enabled) blocked(a ?: ActionState("", false, "检查尚未结束，可直接修改记录"))
                else Update(m.copy(busy = true, message = null), CoreEffect.Amend(d.amendTarget ?: "", d.amendText.trim()))
            }
            else -> Update(m)
        }
    }

    /** The model after the core acknowledged [effect] (returning [result]): the draft part is cleared. */
    fun done(m: FlowModel, effect: CoreEffect, result: Any?): FlowModel {
        val d = m.draft
        val draft = when (effect) {
            is CoreEffect.Capture -> if (effect.request.kind == EvidenceType.AUDIO) d.copy(recording = RecordingState.Idle) else d
            is CoreEffect.IdentityNotice -> d.copy(statementOverride = null)
            is CoreEffect.AddFinding -> d.copy(findingText = "")
            is CoreEffect.RightsNotice -> d.copy(signerName = "", witnessName = "", refusalReason = "", partyRefused = false)
            is CoreEffect.Amend -> d.copy(amendText = "", amendTarget = null)
            is CoreEffect.CheckIn, CoreEffect.Close -> d
        }
        val message = when (effect) {
            CoreEffect.Close -> UserMessage("检查已结束。记录已保存，联网后自动同步。", MessageKind.INFO)
            is CoreEffect.Capture -> (result as? cn.liuhen.core.CapturedEvidence)?.exifWarning?.let {
                UserMessage("照片已保存。$it", MessageKind.INFO)
            }
            else -> null
        }
        return m.copy(draft = draft, busy = false, message = message)
    }

    /** The model after the core refused [effect] with [error]: the draft is kept whole. */
    fun failed(m: FlowModel, effect: CoreEffect, error: Throwable): FlowModel {
        val d = m.draft
        val draft = if (effect is CoreEffect.Capture && effect.request.kind == EvidenceType.AUDIO) {
            d.copy(recording = RecordingState.Idle)
        } else d
        return m.copy(draft = draft, busy = false, message = ErrorPresenter.present(error))
    }

    private fun permissionMessage(m: FlowModel, p: AppPermission): UserMessage =
        UserMessage(m.permissions.notice(p)?.text ?: "", MessageKind.WARNING)

    private fun ruleOf(text: String?): String? =
        text?.let { Regex("^(R-[A-Z]+-\\d+)").find(it)?.groupValues?.get(1) }
}
