package cn.liuhen.app.logic

import cn.liuhen.core.AgencyRightsNotice
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.EvidenceView
import cn.liuhen.core.InspectionView
import cn.liuhen.core.PartyResponse
import cn.liuhen.core.ReviewVerdict
import cn.liuhen.core.Step
import java.time.Instant
import java.time.ZoneId
import java.time.format.DateTimeFormatter

/** The steps of an on-site inspection, in the order the flow guides through them. */
enum class FlowStep(
    /** Title shown in the step bar. */
    val title: String,
) {
    /** Both officers check in with their certificates (R-SCENE-1, R-SCENE-2). */
    CHECK_IN("签到"),

    /** The identity notice, spoken and recorded (R-SCENE-3, R-REC-2, R-REC-3). */
    IDENTITY_NOTICE("亮证告知"),

    /** Findings and photos (R-REC-1). */
    FINDINGS("检查情况/拍照"),

    /** The rights notice and the party's signature (R-SCENE-4). */
    RIGHTS_NOTICE("权利告知/签字"),

    /** Closing on site. */
    CLOSE("结束"),
}

/**
 * A button: whether it can be pressed and, when not, why (Chinese, with the rule ID
 * where a rule is the reason).
 */
data class ActionState(
    /** Label. */
    val label: String,
    /** Whether it is enabled. */
    val enabled: Boolean,
    /** Why not, when disabled. */
    val whyNot: String? = null,
) {
    companion object {
        /** A button enabled unless one of [reasons] is not null; the first one is shown. */
        fun of(label: String, vararg reasons: String?): ActionState {
            val why = reasons.firstOrNull { it != null }
            return ActionState(label, why == null, why)
        }
    }
}

/** One entry of the step bar. */
data class StepRow(
    /** The step. */
    val step: FlowStep,
    /** Whether it is done. */
    val done: Boolean,
    /** Whether it is the step the flow shows now. */
    val current: Boolean,
    /** What a screen reader says ("第 2 步，亮证告知，已完成"). */
    val description: String = "",
)

/** One officer on the check-in panel. */
data class OfficerRow(
    /** Roster id. */
    val id: String,
    /** Name and, once checked in, certificate number and time. */
    val label: String,
    /** Whether checked in. */
    val checkedIn: Boolean,
    /** Where the check-in was recorded (「位置：…」), or 「未取得位置」; empty before check-in. */
    val position: String = "",
    /** The check-in button. */
    val checkIn: ActionState,
)

/** The check-in panel (签到). */
data class CheckInPanel(
    /** Officers. */
    val officers: List<OfficerRow>,
    /** "已签到 1/2 名" style summary. */
    val summary: String,
)

/** The identity-notice panel (亮证告知): the statement stays on screen while recording. */
data class IdentityPanel(
    /** Statement to read aloud. */
    val statement: String,
    /** Recorder state as text. */
    val recorderLabel: String,
    /** Start recording. */
    val startRecording: ActionState,
    /** Stop recording. */
    val stopRecording: ActionState,
    /** Store the step with the recording. */
    val save: ActionState,
    /** Shown instead of the recorder when the microphone (or, for video, the camera) is not allowed. */
    val microphone: PermissionNotice?,
    /** Once given: who, when. */
    val given: String?,
    /** Audio or video. */
    val mode: RecordingMode = RecordingMode.AUDIO,
    /** Whether the officer may switch between audio and video now. */
    val canChooseMode: Boolean = false,
    /** The running timer ("● 录像中 00:42"), while recording. */
    val timer: String? = null,
    /** Whether the screen must stay on. */
    val keepScreenOn: Boolean = false,
)

/** One finding row. */
data class FindingRow(
    /** Finding id. */
    val id: String,
    /** Text. */
    val text: String,
    /** "李明 · 2026-03-02 10:15 · 照片 2 张". */
    val meta: String,
)

/** The findings panel (检查情况/拍照). */
data class FindingsPanel(
    /** Findings recorded. */
    val findings: List<FindingRow>,
    /** The unsaved text (kept through errors and permission denials). */
    val draftText: String,
    /** Photos taken and stored but not yet attached to a finding. */
    val unattachedPhotos: List<String>,
    /** Take a photo. */
    val takePhoto: ActionState,
    /** Store the finding (with the unattached photos). */
    val addFinding: ActionState,
    /** Shown instead of the camera when it is not allowed. */
    val camera: PermissionNotice?,
    /** The position that goes on photos, or why none does. */
    val location: String = "",
)

/** The rights-notice panel (权利告知/签字). */
data class RightsPanel(
    /** The notice read or shown to the party. */
    val noticeText: String,
    /** Remedy channels told (numbered in [noticeText] too). */
    val channels: List<String>,
    /** Version of the notice shown, or recorded once given; `null` while none is held. */
    val version: String?,
    /** Whether the party refuses to sign. */
    val partyRefused: Boolean,
    /** Signer name as typed. */
    val signerName: String,
    /** Whether the signature was drawn and stored. */
    val signatureStored: Boolean,
    /** Witness of a refusal, as typed. */
    val witnessName: String,
    /** Store the step. */
    val save: ActionState,
    /** Once given: how the party answered. */
    val given: String?,
)

/** The close panel (结束): every unmet rule in Chinese with its ID. */
data class ClosePanel(
    /** Unmet rules, each "R-…: …". */
    val unmet: List<String>,
    /** Close. */
    val close: ActionState,
    /** When it was closed, once it is. */
    val closedAt: String?,
)

/** A supervisor's comment on the record. */
data class CommentRow(
    /** "王科长 · 2026-03-03 09:00". */
    val meta: String,
    /** What it is about, if it names an item. */
    val about: String?,
    /** Text. */
    val text: String,
)

/** The supervisor's review shown on the record. */
data class ReviewPanel(
    /** "审核通过" / "退回补正" / "待审核". */
    val verdict: String,
    /** Who decided. */
    val reviewer: String?,
    /** Comments, oldest first. */
    val comments: List<CommentRow>,
)

/** The amendments panel of a closed record (更正, R-REC-5). */
data class AmendPanel(
    /** Amendments made, "更正 检查发现 … : text". */
    val amendments: List<String>,
    /** What can be amended: target key to label. */
    val targets: List<Pair<String, String>>,
    /** Chosen target. */
    val chosenTarget: String?,
    /** Text being written. */
    val draftText: String,
    /** Store the amendment. */
    val save: ActionState,
)

/** Everything the inspection screen draws. */
data class FlowScreen(
    /** Target name. */
    val title: String,
    /** Item, category and address. */
    val subtitle: String,
    /** The step bar. */
    val steps: List<StepRow>,
    /** The current step; `null` once closed (the record is read-only). */
    val current: FlowStep?,
    /** Whether the record is closed (only amendments can be added). */
    val readOnly: Boolean,
    /** Check-in. */
    val checkIn: CheckInPanel,
    /** Identity notice. */
    val identity: IdentityPanel,
    /** Findings and photos. */
    val findings: FindingsPanel,
    /** Rights notice and signature. */
    val rights: RightsPanel,
    /** Close. */
    val close: ClosePanel,
    /** Review, once the supervisor said something. */
    val review: ReviewPanel?,
    /** Amendments, once closed. */
    val amend: AmendPanel?,
    /** Fields written concurrently on two phones, both values kept. */
    val conflicts: List<String>,
    /** The message to show. */
    val message: UserMessage?,
    /** Whether a step is being stored. */
    val busy: Boolean,
    /** Shown instead of everything when the record cannot be read. */
    val loadError: String?,
    /** Why the server refused the record at the last sync and how to fix it (needs attention). */
    val attention: AttentionPanel? = null,
)

/** Time zone the dates on screen are shown in (China Standard Time). */
val CHINA_ZONE: ZoneId = ZoneId.of("Asia/Shanghai")

/**
 * The inspection screen as a pure function of [FlowModel]: which step is current,
 * what is done, what can be pressed and why not, the unmet rules, the review.
 */
object InspectionFlow {
    private val TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")

    /** Formats [t] for the screen in [zone]. */
    fun time(t: Instant, zone: ZoneId = CHINA_ZONE): String = TIME.format(t.atZone(zone))

    /** Whether [step] is done in [v]. */
    fun isDone(v: InspectionView, step: FlowStep): Boolean = when (step) {
        FlowStep.CHECK_IN -> v.team.size >= MIN_TEAM
        FlowStep.IDENTITY_NOTICE -> v.identityNotice != null
        FlowStep.FINDINGS -> v.findings.isNotEmpty()
        FlowStep.RIGHTS_NOTICE -> v.rightsNotice != null
        FlowStep.CLOSE -> v.closedAt != null
    }

    /** The step to show: the first one not done; `null` once closed. */
    fun currentStep(v: InspectionView): FlowStep? =
        if (v.closedAt != null) null else FlowStep.entries.first { !isDone(v, it) }

    /** Audio evidence of the identity-notice step not yet used by a notice (survives a restart). */
    fun pendingRecording(v: InspectionView): EvidenceView? =
        if (v.identityNotice != null) null
        else v.evidence.lastOrNull { it.step == Step.IDENTITY_NOTICE && (it.kind == EvidenceType.AUDIO || it.kind == EvidenceType.VIDEO) }

    /** Photos of the findings step that no finding points at yet. */
    fun unattachedPhotos(v: InspectionView): List<String> {
        val used = v.findings.flatMapTo(HashSet()) { it.evidence }
        return v.evidence.filter { it.step == Step.FINDINGS && it.kind == EvidenceType.PHOTO && it.sha256 !in used }
            .map { it.sha256 }
    }

    /** The latest signature image of the rights-notice step, if the party signed on the pad. */
    fun pendingSignature(v: InspectionView): EvidenceView? =
        v.evidence.lastOrNull { it.step == Step.RIGHTS_NOTICE && it.kind == EvidenceType.SIGNATURE }

    /** Shown instead of the rights notice while the device holds none (R-SCENE-4). */
    const val NO_RIGHTS_NOTICE: String = "尚未收到本机关的权利告知书，请先同步"

    /**
     * The rights notice read or shown to the party (R-SCENE-4): the agency's [text]
     * followed by its remedy [channels], numbered.
     */
    fun rightsNoticeText(text: String, channels: List<String>): String =
        (listOf(text.trim()) + channels.filter { it.isNotBlank() }.mapIndexed { i, c -> "${i + 1}. ${c.trim()}" })
            .joinToString("\n")

    /** [rightsNoticeText] of the agency's notice [n]. */
    fun rightsNoticeText(n: AgencyRightsNotice): String = rightsNoticeText(n.text, n.remedyChannels)

    /** Renders [m]; dates are shown in [zone]. */
    fun render(m: FlowModel, zone: ZoneId = CHINA_ZONE): FlowScreen {
        val v = m.view ?: return loading(m)
        val closed = v.closedAt != null
        val current = currentStep(v)
        val busy = if (m.busy) "正在保存上一步，请稍候" else null
        val closedWhy = if (closed) "R-REC-5: 检查已结束，记录不可修改，如需更正请添加更正记录" else null
        val actorIn = v.team.any { it.officerId == m.actor }
        val actorName = m.candidates.firstOrNull { it.id == m.actor }?.name?.ifBlank { null } ?: m.actor
        val actorWhy = if (!actorIn) "R-SCENE-2: 本机执法人员${actorName}尚未签到，请先签到" else null
        val teamWhy = if (v.team.size < MIN_TEAM) {
            "R-SCENE-2: 需两名执法人员签到（当前 ${v.team.size} 名）"
        } else null
        val noticeWhy = if (v.identityNotice == null) "R-SCENE-3: 请先出示执法证件、亮证告知" else null

        // --- check-in
        val ids = (m.candidates.map { it.id } + v.team.map { it.officerId }).distinct()
        val officers = ids.map { id ->
            val member = v.team.firstOrNull { it.officerId == id }
            val name = member?.name ?: m.candidates.firstOrNull { it.id == id }?.name?.ifBlank { null } ?: id
            OfficerRow(
                id = id,
                label = if (member != null) "$name（证号 ${member.certificateNo}）${time(member.checkedInAt, zone)} 已签到" else "$name 未签到",
                checkedIn = member != null,
                position = if (member != null) LocationPolicy.recorded(member.location, zone) else "",
                checkIn = ActionState.of("$name 签到", closedWhy, if (member != null) "$name 已签到" else null, busy),
            )
        }
        val checkIn = CheckInPanel(officers, "已签到 ${v.team.size}/$MIN_TEAM 名")

        // --- identity notice
        val rec = m.draft.recording
        val mode = m.draft.recordingMode
        val noun = mode.noun
        val pending = pendingRecording(v)
        val mic = VideoRecording.missingPermission(m.permissions, mode)?.let { m.permissions.notice(it) }
        val given = v.identityNotice?.let { n ->
            val by = v.team.firstOrNull { it.officerId == n.givenBy }?.name ?: n.givenBy
            val how = if (v.evidence.any { it.sha256 == n.recordingSha256 && it.kind == cn.liuhen.core.EvidenceType.VIDEO }) "已录像" else "已录音"
            "$by 于 ${time(n.givenAt, zone)} 亮证告知（$how）"
        }
        val doneWhy = if (given != null) "亮证告知已完成" else null
        val identity = IdentityPanel(
            statement = v.identityNotice?.statement ?: m.draft.statementOverride ?: m.statement,
            recorderLabel = when {
                given != null -> if (given.contains("已录像")) "已录像" else "已录音"
                rec == RecordingState.Recording -> "正在${noun}……请宣读下方告知用语"
                rec == RecordingState.Storing -> "正在保存${noun}……"
                pending != null -> "已${if (pending.kind == cn.liuhen.core.EvidenceType.VIDEO) "录像" else "录音"}（${pending.sizeBytes} 字节），请保存亮证告知，或重新录制"
                else -> "尚未$noun"
            },
            startRecording = ActionState.of(
                if (pending != null) "重新$noun" else "开始$noun",
                closedWhy, doneWhy, teamWhy, actorWhy,
                mic?.let { "R-REC-2: 未获得${it.permission.label}权限，无法$noun" },
                if (rec != RecordingState.Idle) "正在$noun" else null, busy,
            ),
            stopRecording = ActionState.of("停止$noun", if (rec != RecordingState.Recording) "尚未开始$noun" else null),
            save = ActionState.of(
                "保存亮证告知",
                closedWhy, doneWhy, teamWhy, actorWhy,
                if (rec != RecordingState.Idle) "请先停止$noun" else null,
                if (pending == null) "R-REC-2: 请先录制亮证告知录音或录像" else null,
                if ((m.draft.statementOverride ?: m.statement).isBlank()) "R-REC-3: 告知用语为空" else null,
                busy,
            ),
            microphone = if (given == null && !closed) mic else null,
            given = given,
            mode = mode,
            canChooseMode = given == null && !closed && rec == RecordingState.Idle,
            timer = VideoRecording.timerLabel(m),
            keepScreenOn = VideoRecording.keepScreenOn(m),
        )

        // --- findings
        val cam = m.permissions.notice(AppPermission.CAMERA)
        val photos = unattachedPhotos(v)
        val findings = FindingsPanel(
            findings = v.findings.map { f ->
                val by = v.team.firstOrNull { it.officerId == f.author }?.name ?: f.author
                FindingRow(f.id, f.text, "$by · ${time(f.at, zone)}" + if (f.evidence.isEmpty()) "" else " · 证据 ${f.evidence.size} 项")
            },
            draftText = m.draft.findingText,
            unattachedPhotos = photos,
            takePhoto = ActionState.of(
                "拍照", closedWhy, actorWhy, noticeWhy,
                cam?.let { "未获得相机权限，无法拍照" }, busy,
            ),
            addFinding = ActionState.of(
                "保存检查情况", closedWhy, actorWhy, noticeWhy,
                if (m.draft.findingText.isBlank()) "请填写检查情况（无问题也应如实记录）" else null, busy,
            ),
            camera = if (!closed) cam else null,
            location = if (closed) "" else LocationPolicy.label(m.location, zone),
        )

        // --- rights notice
        val sig = pendingSignature(v)
        val d = m.draft
        val rightsGiven = v.rightsNotice?.let { r ->
            when (val p = r.response) {
                is PartyResponse.Signed -> "已告知，${p.signerName} 已签字（${time(r.givenAt, zone)}）"
                is PartyResponse.Refused -> "已告知，当事人拒绝签字，见证人 ${p.witnessName}（${time(r.givenAt, zone)}）"
            }
        }
        val held = m.agencyNotice
        val told = v.rightsNotice
        val rights = RightsPanel(
            noticeText = when {
                // Once given: what was told (the version recorded and that text's channels).
                told != null -> if (held != null && held.version == told.noticeVersion) {
                    rightsNoticeText(held.text, told.remedyChannels)
                } else {
                    rightsNoticeText("已按权利告知书（版本 ${told.noticeVersion}）告知，救济途径：", told.remedyChannels)
                }
                held != null -> rightsNoticeText(held)
                else -> NO_RIGHTS_NOTICE
            },
            channels = told?.remedyChannels ?: held?.remedyChannels ?: emptyList(),
            version = told?.noticeVersion ?: held?.version,
            partyRefused = d.partyRefused,
            signerName = d.signerName,
            signatureStored = sig != null,
            witnessName = d.witnessName,
            save = ActionState.of(
                "保存权利告知",
                closedWhy,
                if (rightsGiven != null) "权利告知已完成" else null,
                actorWhy, noticeWhy,
                if (held == null) "R-SCENE-4: $NO_RIGHTS_NOTICE" else null,
                if (!d.partyRefused && d.signerName.isBlank()) "R-SCENE-4: 请填写签字人姓名" else null,
                if (!d.partyRefused && sig == null) "R-SCENE-4: 请当事人在签字板上签字" else null,
                if (d.partyRefused && d.witnessName.isBlank()) "R-SCENE-4: 当事人拒绝签字的，请填写见证人姓名" else null,
                busy,
            ),
            given = rightsGiven,
        )

        // --- close
        val unmet = m.unmet.map { ErrorPresenter.withRule(it.rule, it.message) }
        val close = ClosePanel(
            unmet = if (closed) emptyList() else unmet,
            close = ActionState.of(
                "结束检查", closedWhy, actorWhy,
                if (unmet.isNotEmpty()) "尚有 ${unmet.size} 项规则未满足：" + unmet.joinToString("；") else null,
                busy,
            ),
            closedAt = v.closedAt?.let { "已于 ${time(it, zone)} 结束检查" },
        )

        return FlowScreen(
            title = v.targetName,
            subtitle = listOf(v.itemName, v.category, v.targetAddress).filter { it.isNotBlank() }.joinToString(" · "),
            steps = FlowStep.entries.map { StepRow(it, isDone(v, it), it == current, stepDescription(it, isDone(v, it), it == current)) },
            current = current,
            readOnly = closed,
            checkIn = checkIn,
            identity = identity,
            findings = findings,
            rights = rights,
            close = close,
            review = review(v, zone),
            amend = if (closed) amend(m, v, busy, actorWhy) else null,
            conflicts = v.conflicts.map { "“${it.path}” 在两部手机上被同时修改，两个值均已保留：" + it.values.joinToString(" / ") },
            message = m.message,
            busy = m.busy,
            loadError = m.loadError,
            attention = NeedsAttention.panel(m.syncStatus, m.syncProblem, v.closedAt != null),
        )
    }

    /** The screen reader's sentence for a step chip. */
    fun stepDescription(step: FlowStep, done: Boolean, current: Boolean): String =
        "第 ${step.ordinal + 1} 步，${step.title}，" + (if (done) "已完成" else "未完成") + (if (current) "，当前步骤" else "")

    /** The supervisor's verdict and comments; `null` while there is neither. */
    fun review(v: InspectionView, zone: ZoneId = CHINA_ZONE): ReviewPanel? {
        if (v.reviewVerdict == null && v.reviewComments.isEmpty()) return null
        return ReviewPanel(
            verdict = when (v.reviewVerdict) {
                ReviewVerdict.APPROVED -> "审核通过"
                ReviewVerdict.RETURNED -> "退回补正"
                null -> "待审核"
            },
            reviewer = v.reviewedBy,
            comments = v.reviewComments.sortedBy { it.at }.map { c ->
                CommentRow("${c.authorName} · ${time(c.at, zone)}", c.item?.let { about(v, it) }, c.text)
            },
        )
    }

    /** What a comment's or amendment's item key refers to, in Chinese. */
    fun about(v: InspectionView, item: String): String {
        val key = item.removePrefix("finding:")
        v.findings.firstOrNull { it.id == key }?.let { return "检查情况：" + it.text.take(20) }
        return when (item) {
            "identity_notice" -> "亮证告知"
            "rights_notice" -> "权利告知"
            "team" -> "签到"
            "meta" -> "检查基本信息"
            else -> item
        }
    }

    private fun amend(m: FlowModel, v: InspectionView, busy: String?, actorWhy: String?): AmendPanel {
        val targets = v.findings.map { "finding:${it.id}" to "检查情况：" + it.text.take(20) } +
            listOf("identity_notice" to "亮证告知", "rights_notice" to "权利告知")
        return AmendPanel(
            amendments = v.amendments.map { "更正${about(v, it.amends)}：${it.text}" },
            targets = targets,
            chosenTarget = m.draft.amendTarget,
            draftText = m.draft.amendText,
            save = ActionState.of(
                "保存更正",
                actorWhy?.let { "R-REC-5: 只有参加本次检查的执法人员可以添加更正" },
                if (m.draft.amendTarget == null) "请选择要更正的内容" else null,
                if (m.draft.amendText.isBlank()) "请填写更正内容" else null,
                busy,
            ),
        )
    }

    private fun loading(m: FlowModel): FlowScreen {
        val wait = ActionState("", false, m.loadError ?: "正在读取检查记录")
        return FlowScreen(
            title = "", subtitle = "", steps = FlowStep.entries.map { StepRow(it, false, false) },
            current = null, readOnly = true,
            checkIn = CheckInPanel(emptyList(), ""),
            identity = IdentityPanel("", "", wait, wait, wait, null, null),
            findings = FindingsPanel(emptyList(), m.draft.findingText, emptyList(), wait, wait, null),
            rights = RightsPanel("", emptyList(), null, false, "", false, "", wait, null),
            close = ClosePanel(emptyList(), wait, null),
            review = null, amend = null, conflicts = emptyList(),
            message = m.message, busy = m.busy, loadError = m.loadError,
        )
    }

    /** Minimum team on site (R-SCENE-2), as the core checks it. */
    const val MIN_TEAM: Int = 2
}
