package cn.liuhen.app.logic

import cn.liuhen.core.AgencyRightsNotice
import cn.liuhen.core.InspectionView
import cn.liuhen.core.RuleViolation

/** An officer who may check in to the inspection (from the task, or the roster). */
data class OfficerChoice(
    /** Roster id. */
    val id: String,
    /** Name (may be empty when the roster does not know the id). */
    val name: String,
)

/** The identity-notice recorder, as the Android MediaRecorder reports it. */
sealed interface RecordingState {
    /** Nothing is being recorded. */
    data object Idle : RecordingState

    /** The microphone is recording; the statement is on screen. */
    data object Recording : RecordingState

    /** A recording was handed to the core and is being stored as evidence. */
    data object Storing : RecordingState
}

/** What the identity notice is recorded with (R-REC-2: 录音录像). */
enum class RecordingMode(
    /** The noun on buttons and messages. */
    val noun: String,
) {
    /** Microphone only (ADTS AAC). */
    AUDIO("录音"),

    /** Camera and microphone (MPEG-4 in short segments, see [VideoRecording]). */
    VIDEO("录像"),
}

/** Why a recording stopped without the officer pressing stop. */
enum class Interruption(
    /** What happened, in Chinese. */
    val label: String,
    /** What to do before recording again, in Chinese. */
    val resumeHint: String,
) {
    /** A phone call came in (audio focus lost to the call). */
    CALL("来电", "通话结束"),

    /** The app left the screen (home button, another app, screen locked). */
    BACKGROUND("应用切换到后台", "返回本页"),

    /** Another app took the microphone or camera. */
    DEVICE_BUSY("麦克风或相机被其他应用占用", "关闭占用的应用"),

    /** The phone ran short of storage. */
    STORAGE_FULL("存储空间不足", "清理存储空间"),
}

/**
 * What the officer typed or chose but the core has not stored yet. It survives every
 * refusal, permission denial and error: only a successful step clears its part.
 *
 * Photos, recordings and signatures are not kept here: the core stores them as
 * evidence the moment they are taken, so they survive a restart; the flow finds the
 * ones not yet used in the [InspectionView].
 */
data class FlowDraft(
    /** The finding being written. */
    val findingText: String = "",
    /** The identity statement if the officer adjusted it (else the generated one). */
    val statementOverride: String? = null,
    /** The recorder. */
    val recording: RecordingState = RecordingState.Idle,
    /** Audio or video for the identity notice (the officer's choice). */
    val recordingMode: RecordingMode = RecordingMode.AUDIO,
    /** When the current recording started (wall clock), for the timer. */
    val recordingStartedAtMillis: Long? = null,
    /** Video segments of the current take already stored as evidence. */
    val videoSegmentsStored: Int = 0,
    /** Name of the party who signs. */
    val signerName: String = "",
    /** Whether the party refuses to sign (then a witness confirms). */
    val partyRefused: Boolean = false,
    /** Witness of a refusal. */
    val witnessName: String = "",
    /** Reason the party gave for refusing. */
    val refusalReason: String = "",
    /** What an amendment corrects (`finding:<id>`, `identity_notice`, `rights_notice`). */
    val amendTarget: String? = null,
    /** The amendment being written. */
    val amendText: String = "",
)

/**
 * Everything the inspection screen is drawn from: the record as the core holds it,
 * the rules not yet met, the generated statement, the draft, the permissions, and the
 * message to show. [InspectionFlow.render] turns it into a [FlowScreen].
 */
data class FlowModel(
    /** Inspection id. */
    val inspectionId: String,
    /** The officer using this device (the acting officer of every step). */
    val actor: String,
    /** The inspection, once read. */
    val view: InspectionView? = null,
    /** Rules not yet met for closing (from `unmetRules`). */
    val unmet: List<RuleViolation> = emptyList(),
    /** The generated identity-notice statement (from `identityStatement`). */
    val statement: String = "",
    /** Officers who may check in. */
    val candidates: List<OfficerChoice> = emptyList(),
    /**
     * The agency's rights notice held on this device (from `agencyRightsNotice`, it
     * arrives with the roster at sync); `null` until one was received (R-SCENE-4).
     */
    val agencyNotice: AgencyRightsNotice? = null,
    /** Unsaved input. */
    val draft: FlowDraft = FlowDraft(),
    /** Camera and microphone. */
    val permissions: PermissionState = PermissionState(),
    /** The message to show, if any. */
    val message: UserMessage? = null,
    /** Whether a step is being stored (buttons that change the record are disabled). */
    val busy: Boolean = false,
    /** Why the inspection cannot be read, if it cannot. */
    val loadError: String? = null,
    /** The position for captures (permission, service, latest fix). */
    val location: LocationStatus = LocationStatus.Searching(null),
    /** The clock as of the last tick (drives the recording timer). */
    val nowMillis: Long = 0,
    /** This record's sync state on the device (`null` until read). */
    val syncStatus: cn.liuhen.core.SyncStatus? = null,
    /** Why the server refused this record at the last sync, if it did (needs attention). */
    val syncProblem: String? = null,
)
