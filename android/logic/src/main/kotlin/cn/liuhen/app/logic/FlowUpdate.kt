package cn.liuhen.app.logic

import cn.liuhen.core.CaptureLocation
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

    /** The (audio) recorder started. */
    data object RecordingStarted : FlowEvent

    /** The officer chose audio or video for the identity notice. */
    data class RecordingModeChosen(val mode: RecordingMode) : FlowEvent

    /** A recorder ([mode]) started at [atMillis] (wall clock, for the timer). */
    data class RecorderStarted(val mode: RecordingMode, val atMillis: Long) : FlowEvent

    /** One second passed (drives the timer while recording). */
    data class Tick(val nowMillis: Long) : FlowEvent

    /**
     * A video segment was finished while recording goes on (each segment is a complete
     * MPEG-4 file, stored as evidence at once: a kill loses at most the segment under way).
     */
    data class VideoSegmentFinished(val filePath: String, val sizeBytes: Long) : FlowEvent

    /**
     * The recorder was stopped by [reason] (a call, the app left the screen, ...); what
     * was recorded up to then is at [filePath] (`null` when nothing usable was written).
     */
    data class RecordingInterrupted(
        val reason: Interruption,
        val filePath: String?,
        val sizeBytes: Long,
        val durationMillis: Long,
        val mediaType: String,
    ) : FlowEvent

    /** The location service reported (a fix, a permission or a provider change). */
    data class LocationChanged(val status: LocationStatus) : FlowEvent

    /**
     * The recorder stopped and wrote [filePath] ([sizeBytes] bytes, [durationMillis] long).
     * An empty or zero-length recording is refused and nothing is stored.
     */
    data class RecordingFinished(
        val filePath: String,
        val sizeBytes: Long,
        val durationMillis: Long,
        val mediaType: String = "audio/aac",
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
        /** The fix taken when the shutter was pressed, if the screen kept one. */
        val fix: LocationFix? = null,
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
    /** `checkIn`, with where (null: 「未取得位置」). */
    data class CheckIn(val officerId: String, val location: CaptureLocation? = null) : CoreEffect

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
            is FlowEvent.Tick -> Update(m.copy(nowMillis = e.nowMillis))
            is FlowEvent.LocationChanged -> Update(m.copy(location = e.status))
            is FlowEvent.RecordingModeChosen -> if (d.recording != RecordingState.Idle) Update(m)
            else Update(m.copy(draft = d.copy(recordingMode = e.mode)))
            FlowEvent.RecordingStarted -> update(m, FlowEvent.RecorderStarted(RecordingMode.AUDIO, m.nowMillis))
            is FlowEvent.RecorderStarted -> {
                val missing = VideoRecording.missingPermission(m.permissions, e.mode)
                if (missing != null) {
                    Update(m.copy(message = permissionMessage(m, missing)))
                } else {
                    Update(
                        m.copy(
                            draft = d.copy(
                                recording = RecordingState.Recording, recordingMode = e.mode,
                                recordingStartedAtMillis = e.atMillis, videoSegmentsStored = 0,
                            ),
                            nowMillis = maxOf(m.nowMillis, e.atMillis),
                            message = null,
                        ),
                    )
                }
            }
            is FlowEvent.VideoSegmentFinished -> if (e.sizeBytes <= 0L) Update(m) else Update(
                m,
                CoreEffect.Capture(e.filePath, captureRequest(m, EvidenceType.VIDEO, VideoRecording.MEDIA_TYPE, Step.IDENTITY_NOTICE)),
            )
            is FlowEvent.RecordingInterrupted -> {
                val noun = d.recordingMode.noun
                val idle = d.copy(recording = RecordingState.Idle, recordingStartedAtMillis = null)
                if (e.filePath == null || e.sizeBytes <= 0L || e.durationMillis < MIN_RECORDING_MILLIS) {
                    Update(
                        m.copy(
                            draft = idle,
                            message = UserMessage(
                                "${noun}因${e.reason.label}中断，未录到可保存的内容。请重新${noun}并完整宣读亮证告知用语（R-REC-2）。",
                                MessageKind.WARNING, rule = "R-REC-2",
                            ),
                        ),
                    )
                } else {
                    val kind = if (e.mediaType.startsWith("video/")) EvidenceType.VIDEO else EvidenceType.AUDIO
                    Update(
                        m.copy(
                            draft = idle.copy(recording = RecordingState.Storing),
                            busy = true,
                            message = UserMessage(
                                "${noun}因${e.reason.label}中断，已保存中断前录制的 ${VideoRecording.timer(e.durationMillis)}。" +
                                    "如告知未宣读完整，请${e.reason.resumeHint}后重新${noun}（R-REC-2）。",
                                MessageKind.WARNING, rule = "R-REC-2",
                            ),
                        ),
                        CoreEffect.Capture(e.filePath, captureRequest(m, kind, e.mediaType, Step.IDENTITY_NOTICE)),
                    )
                }
            }
            is FlowEvent.RecordingFailed -> Update(
                m.copy(
                    draft = d.copy(recording = RecordingState.Idle, recordingStartedAtMillis = null),
                    message = UserMessage("录音失败，未保存任何内容，请重新录制。（${e.reason}）", MessageKind.WARNING),
                ),
            )
            is FlowEvent.RecordingFinished -> when {
                e.sizeBytes <= 0L -> Update(
                    m.copy(
                        draft = d.copy(recording = RecordingState.Idle, recordingStartedAtMillis = null),
                        message = UserMessage("R-REC-2: 录音为空（0 字节），未保存。请检查麦克风后重新录制亮证告知。", MessageKind.WARNING, rule = "R-REC-2"),
                    ),
                )
                e.durationMillis < MIN_RECORDING_MILLIS -> Update(
                    m.copy(
                        draft = d.copy(recording = RecordingState.Idle, recordingStartedAtMillis = null),
                        message = UserMessage("R-REC-3: 录音过短，未保存。请在录音时完整宣读亮证告知用语。", MessageKind.WARNING, rule = "R-REC-3"),
                    ),
                )
                else -> Update(
                    m.copy(draft = d.copy(recording = RecordingState.Storing, recordingStartedAtMillis = null), busy = true, message = null),
                    CoreEffect.Capture(
                        e.filePath,
                        captureRequest(
                            m, if (e.mediaType.startsWith("video/")) EvidenceType.VIDEO else EvidenceType.AUDIO,
                            e.mediaType, Step.IDENTITY_NOTICE,
                        ),
                    ),
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
                else Update(m.copy(busy = true, message = null), CoreEffect.CheckIn(e.officerId, LocationPolicy.forCapture(m.location)))
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
                    CoreEffect.Capture(
                        e.filePath,
                        if (e.fix != null && e.fix.valid) {
                            CaptureRequest(EvidenceType.PHOTO, e.mediaType, Step.FINDINGS, LocationPolicy.toCapture(e.fix))
                        } else {
                            captureRequest(m, EvidenceType.PHOTO, e.mediaType, Step.FINDINGS)
                        },
                    ),
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
                    CoreEffect.Capture(e.filePath, captureRequest(m, EvidenceType.SIGNATURE, "image/png", Step.RIGHTS_NOTICE)),
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
                    // The version of the text on screen: the core records that text's
                    // channels and refuses a version it no longer holds (R-SCENE-4).
                    val version = m.agencyNotice?.version ?: ""
                    Update(m.copy(busy = true, message = null), CoreEffect.RightsNotice(RightsNoticeRequest(version, response)))
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
            is CoreEffect.Capture -> when {
                // A segment stored while the video goes on: keep recording.
                effect.request.kind == EvidenceType.VIDEO && d.recording == RecordingState.Recording ->
                    d.copy(videoSegmentsStored = d.videoSegmentsStored + 1)
                effect.request.kind == EvidenceType.AUDIO || effect.request.kind == EvidenceType.VIDEO ->
                    d.copy(recording = RecordingState.Idle)
                else -> d
            }
            is CoreEffect.IdentityNotice -> d.copy(statementOverride = null)
            is CoreEffect.AddFinding -> d.copy(findingText = "")
            is CoreEffect.RightsNotice -> d.copy(signerName = "", witnessName = "", refusalReason = "", partyRefused = false)
            is CoreEffect.Amend -> d.copy(amendText = "", amendTarget = null)
            is CoreEffect.CheckIn, CoreEffect.Close -> d
        }
        val message = when (effect) {
            CoreEffect.Close -> UserMessage("检查已结束。记录已保存，联网后自动同步。", MessageKind.INFO)
            // An interruption's explanation stays on screen once the part is stored.
            is CoreEffect.Capture -> m.message ?: (result as? cn.liuhen.core.CapturedEvidence)?.exifWarning?.let {
                UserMessage("照片已保存。$it", MessageKind.INFO)
            } ?: if (effect.request.kind == EvidenceType.PHOTO && effect.request.location == null) {
                // The officer is told when a photo went on the record without a position.
                UserMessage("照片已保存（${LocationPolicy.NO_POSITION}）。", MessageKind.INFO)
            } else {
                null
            }
            is CoreEffect.CheckIn -> if (effect.location == null) {
                UserMessage("已签到（${LocationPolicy.NO_POSITION}）。", MessageKind.INFO)
            } else {
                null
            }
            else -> null
        }
        return m.copy(draft = draft, busy = false, message = message)
    }

    /** The model after the core refused [effect] with [error]: the draft is kept whole. */
    fun failed(m: FlowModel, effect: CoreEffect, error: Throwable): FlowModel {
        val d = m.draft
        val media = effect is CoreEffect.Capture && (effect.request.kind == EvidenceType.AUDIO || effect.request.kind == EvidenceType.VIDEO)
        // A refused segment while the video goes on: the recording continues, the officer is told.
        val draft = if (media && d.recording != RecordingState.Recording) d.copy(recording = RecordingState.Idle) else d
        return m.copy(draft = draft, busy = false, message = ErrorPresenter.present(error))
    }

    /** A capture request with the position the location policy allows (or none). */
    private fun captureRequest(m: FlowModel, kind: EvidenceType, mediaType: String, step: Step): CaptureRequest {
        return CaptureRequest(kind, mediaType, step, LocationPolicy.forCapture(m.location))
    }

    private fun permissionMessage(m: FlowModel, p: AppPermission): UserMessage =
        UserMessage(m.permissions.notice(p)?.text ?: "", MessageKind.WARNING)

    private fun ruleOf(text: String?): String? =
        text?.let { Regex("^(R-[A-Z]+-\\d+)").find(it)?.groupValues?.get(1) }
}
