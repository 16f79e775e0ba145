package cn.liuhen.app.logic

import cn.liuhen.core.CaptureLocation
import java.time.Instant
import java.time.ZoneId

/**
 * A position from the device's location service (GPS works offline; the network
 * provider needs no SIM data either once cells are visible).
 *
 * @property lat latitude, WGS-84 degrees.
 * @property lon longitude, WGS-84 degrees.
 * @property accuracyMeters the 68 % radius the location service reports.
 * @property atMillis when the fix was taken (the fix's own time, not when it arrived).
 */
data class LocationFix(
    val lat: Double,
    val lon: Double,
    val accuracyMeters: Double,
    val atMillis: Long,
) {
    /** Whether the coordinates are real numbers within the earth's ranges. */
    val valid: Boolean
        get() = lat.isFinite() && lon.isFinite() && lat in -90.0..90.0 && lon in -180.0..180.0 &&
            accuracyMeters.isFinite() && accuracyMeters >= 0
}

/** Where the location stands for the evidence being captured now. */
sealed interface LocationStatus {
    /** A fix good enough to put on the evidence. */
    data class Usable(val fix: LocationFix) : LocationStatus

    /** Location permission is missing: evidence is captured without a position. */
    data object NoPermission : LocationStatus

    /** Location is switched off in the system settings. */
    data object ServiceOff : LocationStatus

    /** Waiting for a first fix (no fix, or only one too old or too coarse). */
    data class Searching(val last: LocationFix?) : LocationStatus
}

/**
 * Which position goes on a capture (photo, recording, signature) and on the check-in
 * panel: the latest fix if it is recent and precise enough, else none — a wrong
 * position is worse than none on an enforcement record. Pure decisions; the Android
 * layer feeds it `LocationManager` fixes (GPS first, works offline).
 */
object LocationPolicy {
    /** Oldest fix put on a capture (the officer may have walked to another building). */
    const val MAX_AGE_MILLIS: Long = 2 * 60_000

    /** Coarsest fix put on a capture (a cell-tower fix is often kilometres off). */
    const val MAX_ACCURACY_METERS: Double = 100.0

    /**
     * The status for a capture at [nowMillis].
     *
     * @param permitted whether a location permission (fine or coarse) is granted.
     * @param serviceOn whether a location provider is enabled.
     */
    fun status(fix: LocationFix?, permitted: Boolean, serviceOn: Boolean, nowMillis: Long): LocationStatus = when {
        !permitted -> LocationStatus.NoPermission
        !serviceOn -> LocationStatus.ServiceOff
        fix != null && usable(fix, nowMillis) -> LocationStatus.Usable(fix)
        else -> LocationStatus.Searching(fix?.takeIf { it.valid })
    }

    /** Whether [fix] may go on a capture at [nowMillis]. */
    fun usable(fix: LocationFix, nowMillis: Long): Boolean =
        fix.valid && fix.accuracyMeters > 0 && fix.accuracyMeters <= MAX_ACCURACY_METERS &&
            nowMillis - fix.atMillis <= MAX_AGE_MILLIS && fix.atMillis <= nowMillis + 60_000

    /** The better of two fixes: the newer one unless it is much coarser and the old one is still fresh. */
    fun better(old: LocationFix?, new: LocationFix, nowMillis: Long): LocationFix {
        if (old == null || !old.valid) return new
        if (!new.valid) return old
        val oldFresh = usable(old, nowMillis)
        return if (oldFresh && new.accuracyMeters > 2 * old.accuracyMeters && new.atMillis - old.atMillis < 30_000) old else new
    }

    /** The line shown above the capture buttons (Chinese). */
    fun label(s: LocationStatus, zone: ZoneId = CHINA_ZONE): String = when (s) {
        is LocationStatus.Usable -> "位置：" + coordinates(s.fix) + "，精度约 ${s.fix.accuracyMeters.toInt()} 米，" +
            InspectionFlow.time(Instant.ofEpochMilli(s.fix.atMillis), zone) + " 定位"
        LocationStatus.NoPermission -> "未获得定位权限：照片和录音将不带位置。可在 系统设置 → 应用 → 留痕 → 权限 中允许“位置信息”。"
        LocationStatus.ServiceOff -> "定位服务已关闭：照片和录音将不带位置。请在系统设置中打开“位置信息”。"
        is LocationStatus.Searching -> if (s.last != null) {
            "正在定位（最近一次精度约 ${s.last.accuracyMeters.toInt()} 米，不够准确或已过时，不记入证据）"
        } else {
            "正在定位……无网络时卫星定位也可用，室内可能需要走到窗边"
        }
    }

    /** "北纬 23.68210，东经 113.05610" (as the record export words it). */
    fun coordinates(f: LocationFix): String {
        val ns = if (f.lat >= 0) "北纬" else "南纬"
        val ew = if (f.lon >= 0) "东经" else "西经"
        return "$ns ${"%.5f".format(kotlin.math.abs(f.lat))}，$ew ${"%.5f".format(kotlin.math.abs(f.lon))}"
    }

    /**
     * The position to record with a check-in or a capture: the fix with its accuracy
     * and time (R-REC-3), or null — no permission, no fix, or one too old or too
     * coarse — and the screen says 「未取得位置」.
     */
    fun forCapture(s: LocationStatus): CaptureLocation? =
        if (s is LocationStatus.Usable) toCapture(s.fix) else null

    /** A fix as the core records it. */
    fun toCapture(f: LocationFix): CaptureLocation =
        CaptureLocation(f.lat, f.lon, f.accuracyMeters, Instant.ofEpochMilli(f.atMillis))

    /** What the officer reads about a recorded position: 「位置：北纬 …，精度约 N 米，时间 定位」, or 「未取得位置」. */
    fun recorded(l: CaptureLocation?, zone: ZoneId = CHINA_ZONE): String =
        if (l == null) {
            NO_POSITION
        } else {
            "位置：" + coordinates(LocationFix(l.lat, l.lon, l.accuracyM, l.fixedAt.toEpochMilli())) +
                "，精度约 ${kotlin.math.max(1L, Math.round(l.accuracyM))} 米，" +
                InspectionFlow.time(l.fixedAt, zone) + " 定位"
        }

    /** Shown for a check-in or capture recorded without a position. */
    const val NO_POSITION: String = "未取得位置"
}
