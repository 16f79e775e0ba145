package cn.liuhen.app.logic

import cn.liuhen.core.DraftInput
import cn.liuhen.core.DraftListItem
import cn.liuhen.core.DraftView
import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.LiuhenException
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.withContext
import java.math.BigDecimal
import java.time.ZoneId

/** The kinds of decision a draft proposes: core key to Chinese label. */
val DECISION_KINDS: List<Pair<String, String>> = listOf(
    "penalty" to "行政处罚",
    "licensing" to "行政许可",
    "coercion" to "行政强制",
    "inspection" to "行政检查",
    "other" to "其他",
)

/** One line of the drafts list. */
data class DraftRow(
    /** Draft id. */
    val id: String,
    /** Title (or 未命名草案). */
    val title: String,
    /** "待同步" / "已同步 · 审核中" / "服务器未接受". */
    val status: String,
    /** Why the server refused the phone's changes (kept on the phone), if it did. */
    val refused: String?,
    /** "更新于 2026-03-02 10:15". */
    val updated: String,
    /** What a screen reader says for the row. */
    val contentDescription: String,
)

/** The drafts list screen (决定草案). */
data class DraftListScreen(
    /** Rows, newest change first. */
    val rows: List<DraftRow>,
    /** Shown when there are none. */
    val empty: String?,
    /** R-LEGAL-1 in one sentence, above the list. */
    val legalNote: String,
)

/** A form field's text and its error. */
data class DraftField(
    /** Key (as the core names it in `InvalidInput.field`). */
    val key: String,
    /** Label, in Chinese. */
    val label: String,
    /** Value as typed. */
    val value: String,
    /** Error, if any. */
    val error: String? = null,
    /** Whether it is several lines. */
    val multiline: Boolean = false,
)

/** A yes/no circumstance that makes a decision major (R-LEGAL-2). */
data class DraftFlag(
    /** Key. */
    val key: String,
    /** Label, in Chinese. */
    val label: String,
    /** Value. */
    val checked: Boolean,
)

/** The draft form screen. */
data class DraftFormScreen(
    /** `null` for a new draft. */
    val id: String?,
    /** The chosen kind (key). */
    val kind: String,
    /** Text fields in order. */
    val fields: List<DraftField>,
    /** The circumstances of R-LEGAL-2. */
    val flags: List<DraftFlag>,
    /** Whether it is a major decision (must pass legal review, R-LEGAL-1). */
    val majorNote: String?,
    /** Fields edited on the phone and on the server at once (both values kept). */
    val conflicts: List<String>,
    /** Sync state. */
    val status: String,
    /** Save. */
    val save: ActionState,
    /** Message after saving or failing. */
    val message: UserMessage?,
)

/**
 * The decision drafts (决定草案, R-LEGAL-1) as the phone shows and edits them: the list,
 * and one draft's form, saved through the core offline (the drafts travel with the
 * normal sync). Every call into the core runs on [io].
 *
 * @param actor the officer using this device.
 */
class DraftsController(
    private val core: LiuhenCore,
    private val actor: String,
    private val io: CoroutineDispatcher,
    private val zone: ZoneId = CHINA_ZONE,
) {
    private val _list = MutableStateFlow(DraftListScreen(emptyList(), EMPTY, LEGAL_NOTE))
    private val _form = MutableStateFlow<DraftFormState?>(null)

    /** The list. */
    val list: StateFlow<DraftListScreen> = _list

    /** The form being edited, if one is open. */
    val form: StateFlow<DraftFormState?> = _form

    /** Re-reads the list (after a sync, or after saving). */
    suspend fun refresh() {
        val items = withContext(io) { runCatching { core.drafts() } }
        items.onSuccess { _list.value = render(it, zone) }
    }

    /** Opens a new draft of [kind] (from the core's template). */
    suspend fun new(kind: String): DraftFormState? {
        val t = withContext(io) { runCatching { core.draftTemplate(kind) } }.getOrNull() ?: return null
        return DraftFormState(null, t, emptyList(), "新草案（未保存）", fineYuan(t.fineFen)).also { _form.value = it }
    }

    /** Opens the draft [id]. */
    suspend fun open(id: String): DraftFormState? {
        val v = withContext(io) { runCatching { core.draft(id) } }.getOrNull() ?: return null
        return fromView(v).also { _form.value = it }
    }

    /** Edits the open form. */
    fun edit(change: (DraftFormState) -> DraftFormState) = _form.update { it?.let(change)?.copy(message = null, fieldErrors = emptyMap()) }

    /** Closes the form. */
    fun closeForm() { _form.value = null }

    /** Saves the open form (creates or edits); returns the draft id, or `null` (the form says why). */
    suspend fun save(): String? {
        val f = _form.value ?: return null
        val errors = f.localErrors()
        if (errors.isNotEmpty()) {
            _form.value = f.copy(fieldErrors = errors, message = UserMessage("请先改正标出的内容", MessageKind.WARNING))
            return null
        }
        val input = f.toInput()
        return try {
            val id = withContext(io) {
                if (f.id == null) core.createDraft(actor, input)
                else { core.editDraft(f.id, actor, f.heads, input); f.id }
            }
            val v = withContext(io) { core.draft(id) }
            _form.value = fromView(v).copy(message = UserMessage("草案已保存在本机，联网后随同步上传", MessageKind.INFO))
            refresh()
            id
        } catch (e: LiuhenException.InvalidInput) {
            _form.value = f.copy(fieldErrors = mapOf(e.field to e.detail), message = ErrorPresenter.present(e))
            null
        } catch (e: Exception) {
            _form.value = f.copy(message = ErrorPresenter.present(e))
            null
        }
    }

    private fun fromView(v: DraftView) = DraftFormState(
        id = v.id, input = v.content, heads = v.heads,
        status = statusOf(v.sync.stateLabel, v.sync.serverLabel, v.sync.refused),
        fineYuan = fineYuan(v.content.fineFen),
        conflicts = v.conflicts.map { c -> "“${FIELD_LABELS[c.field] ?: c.field}” 在手机和服务器上被同时修改，两个值均已保留：" + c.values.joinToString(" / ") },
    )

    companion object {
        /** R-LEGAL-1, above the list and the form. */
        const val LEGAL_NOTE: String = "决定草案仅为拟作出的决定；重大执法决定须经法制审核后方可作出（R-LEGAL-1）。"

        /** Shown when there are no drafts. */
        const val EMPTY: String = "本机暂无决定草案。可在检查结束后起草拟作出的决定，无网络时也可起草。"

        /** Chinese labels of the text fields, by core field name. */
        val FIELD_LABELS: Map<String, String> = linkedMapOf(
            "title" to "标题", "category" to "执法类别", "party_name" to "当事人名称",
            "party_code" to "统一社会信用代码或身份证号", "legal_basis" to "法律依据", "facts" to "违法事实",
            "discretion" to "裁量基准", "conclusion" to "拟作出的决定", "fine_fen" to "罚款金额（元）",
            "confidential" to "不予公开的内容",
        )

        /** The list for [items]. */
        fun render(items: List<DraftListItem>, zone: ZoneId = CHINA_ZONE): DraftListScreen {
            val rows = items.map { d ->
                val title = d.title.ifBlank { "未命名草案" }
                val status = statusOf(d.sync.stateLabel, d.sync.serverLabel, d.sync.refused)
                val updated = "更新于 " + InspectionFlow.time(d.updatedAt, zone)
                DraftRow(d.id, title, status, d.sync.refused, updated, listOfNotNull(title, status, d.sync.refused, updated).joinToString("，"))
            }
            return DraftListScreen(rows, if (rows.isEmpty()) EMPTY else null, LEGAL_NOTE)
        }

        /** "已同步 · 审核中" style status. */
        fun statusOf(stateLabel: String, serverLabel: String?, refused: String?): String =
            stateLabel + (serverLabel?.let { " · $it" } ?: "") + (refused?.let { "（服务器未接受：$it）" } ?: "")

        /** Fen as yuan text ("20000" or "1234.5"); empty for none. */
        fun fineYuan(fen: Long?): String =
            fen?.let { BigDecimal.valueOf(it, 2).stripTrailingZeros().toPlainString() } ?: ""

        /** Yuan text as fen; `null` for empty; throws [NumberFormatException] when not an amount. */
        fun fen(yuan: String): Long? {
            val t = yuan.trim().removeSuffix("元").replace(",", "").replace("，", "")
            if (t.isEmpty()) return null
            val d = BigDecimal(t)
            if (d.signum() < 0 || d.scale() > 2) throw NumberFormatException(yuan)
            return d.movePointRight(2).longValueExact()
        }
    }
}

/**
 * The draft form's state: the content as the core holds it, what the officer saw
 * ([heads], passed back with an edit), and the typed fine.
 */
data class DraftFormState(
    /** `null` until first saved. */
    val id: String?,
    /** The content. */
    val input: DraftInput,
    /** Heads the edit is made from. */
    val heads: List<String>,
    /** Sync state label. */
    val status: String,
    /** The fine as typed, in yuan. */
    val fineYuan: String = "",
    /** Conflicts, in Chinese. */
    val conflicts: List<String> = emptyList(),
    /** Field errors by key. */
    val fieldErrors: Map<String, String> = emptyMap(),
    /** The message to show. */
    val message: UserMessage? = null,
) {
    /** The form with text field [key] set to [value]. */
    fun withField(key: String, value: String): DraftFormState = when (key) {
        "title" -> copy(input = input.copy(title = value))
        "category" -> copy(input = input.copy(category = value))
        "party_name" -> copy(input = input.copy(partyName = value))
        "party_code" -> copy(input = input.copy(partyCode = value))
        "legal_basis" -> copy(input = input.copy(legalBasis = value))
        "facts" -> copy(input = input.copy(facts = value))
        "discretion" -> copy(input = input.copy(discretion = value))
        "conclusion" -> copy(input = input.copy(conclusion = value))
        "confidential" -> copy(input = input.copy(confidential = value))
        "fine_fen" -> copy(fineYuan = value)
        else -> this
    }

    /** The form with circumstance [key] set. */
    fun withFlag(key: String, on: Boolean): DraftFormState = copy(
        input = when (key) {
            "revocation" -> input.copy(revocation = on)
            "suspension" -> input.copy(suspension = on)
            "major_coercion" -> input.copy(majorCoercion = on)
            "hearing_held" -> input.copy(hearingHeld = on)
            "crime_suspected" -> input.copy(crimeSuspected = on)
            "public_interest" -> input.copy(publicInterest = on)
            "social_risk" -> input.copy(socialRisk = on)
            "complex" -> input.copy(complex = on)
            else -> input
        },
    )

    /** The form with [kind] chosen. */
    fun withKind(kind: String): DraftFormState = copy(input = input.copy(kind = kind))

    /** Errors found before asking the core. */
    fun localErrors(): Map<String, String> {
        val out = linkedMapOf<String, String>()
        if (input.title.isBlank()) out["title"] = "请填写草案标题"
        if (input.partyName.isBlank()) out["party_name"] = "请填写当事人名称"
        try {
            DraftsController.fen(fineYuan)
        } catch (_: NumberFormatException) {
            out["fine_fen"] = "罚款金额应为不小于 0 的数字，最多两位小数，例如 20000 或 1234.50"
        } catch (_: ArithmeticException) {
            out["fine_fen"] = "罚款金额过大"
        }
        return out
    }

    /** What is sent to the core (call after [localErrors] is empty). */
    fun toInput(): DraftInput = input.copy(fineFen = runCatching { DraftsController.fen(fineYuan) }.getOrNull())

    /** Whether the circumstances make it a major decision (R-LEGAL-2). */
    val major: Boolean
        get() = input.revocation || input.suspension || input.majorCoercion || input.hearingHeld ||
            input.crimeSuspected || input.publicInterest || input.socialRisk || input.complex

    /** The screen. */
    fun screen(): DraftFormScreen {
        val i = input
        val values = mapOf(
            "title" to i.title, "category" to i.category, "party_name" to i.partyName, "party_code" to i.partyCode,
            "legal_basis" to i.legalBasis, "facts" to i.facts, "discretion" to i.discretion,
            "conclusion" to i.conclusion, "fine_fen" to fineYuan, "confidential" to i.confidential,
        )
        val multiline = setOf("facts", "discretion", "conclusion", "confidential")
        val fields = DraftsController.FIELD_LABELS.map { (k, label) ->
            DraftField(k, label, values[k] ?: "", fieldErrors[k], k in multiline)
        }
        val flags = listOf(
            DraftFlag("revocation", "吊销许可证件", i.revocation),
            DraftFlag("suspension", "责令停产停业、关闭", i.suspension),
            DraftFlag("major_coercion", "重大行政强制", i.majorCoercion),
            DraftFlag("hearing_held", "经过听证", i.hearingHeld),
            DraftFlag("crime_suspected", "涉嫌犯罪移送", i.crimeSuspected),
            DraftFlag("public_interest", "涉及重大公共利益", i.publicInterest),
            DraftFlag("social_risk", "可能造成重大社会影响", i.socialRisk),
            DraftFlag("complex", "案件情况疑难复杂", i.complex),
        )
        return DraftFormScreen(
            id = id, kind = i.kind, fields = fields, flags = flags,
            majorNote = if (major) "属重大执法决定：须经法制审核（R-LEGAL-1、R-LEGAL-2），审核通过前不得作出决定。" else null,
            conflicts = conflicts, status = status,
            save = ActionState.of("保存草案", localErrors().values.firstOrNull()),
            message = message,
        )
    }
}
