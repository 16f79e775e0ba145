import AVFoundation
import LiuhenAppLogic
import LiuhenCore
import PencilKit
import PhotosUI
import SwiftUI

/// The on-site flow: check-in, identity notice, findings, rights notice, close.
/// State comes from the core (observer) and the step draft; every button forwards to
/// the core, which decides and answers with the new state or an error.
struct InspectionFlowView: View {
    let inspectionId: String
    let task: TaskView?
    @EnvironmentObject private var model: AppModel
    @StateObject private var feed = InspectionFeed()
    @State private var flow: InspectionFlowState?
    @State private var draft = InspectionDraft()

    var body: some View {
        VStack(spacing: 0) {
            if let flow {
                StepBar(flow: flow) { self.flow?.current = $0 }
                Divider()
                ScrollView {
                    VStack(alignment: .leading, spacing: 16) {
                        Text(flow.current.title).font(.title2.bold())
                        if !flow.current.rules.isEmpty {
                            Text("依据：\(flow.current.rules.joined(separator: "、"))").font(.caption).foregroundStyle(.secondary)
                        }
                        ForEach(flow.unmetRules(for: flow.current), id: \.self) { r in
                            Label(ErrorPresenter.withRule(r.rule, r.message), systemImage: "exclamationmark.circle")
                                .font(.footnote).foregroundStyle(.orange)
                        }
                        stepContent(flow)
                    }
                    .padding()
                }
                Divider()
                HStack {
                    Button("上一步") { self.flow?.back() }.disabled(flow.current == .checkIn)
                    Spacer()
                    Button("下一步") { self.flow?.next() }.disabled(flow.current == .close)
                }
                .padding()
            } else if let error = feed.readError {
                Text(error).foregroundStyle(.red).padding()
            } else {
                ProgressView()
            }
        }
        .navigationTitle(feed.view?.targetName ?? "现场检查")
        .navigationBarTitleDisplayMode(.inline)
        .onAppear {
            draft = model.drafts.load(inspectionId)
            if let core = model.core { feed.start(core: core, id: inspectionId) }
        }
        .onDisappear { feed.stop() }
        .onReceive(feed.$view) { view in
            guard let view else { return }
            let unmet = model.attempt { try $0.unmetRules(id: inspectionId) } ?? []
            if flow == nil {
                flow = InspectionFlowState(view: view, unmet: unmet, current: draft.step)
            } else {
                flow?.update(view: view, unmet: unmet)
            }
        }
        .onChange(of: draft) { saveDraft($0) }
        .onChange(of: flow?.current) { step in draft.step = step }
    }

    @ViewBuilder
    private func stepContent(_ flow: InspectionFlowState) -> some View {
        let step = StepContext(inspectionId: inspectionId, flow: flow, draft: $draft)
        switch flow.current {
        case .checkIn: CheckInStep(step: step, task: task)
        case .identityNotice: IdentityNoticeStep(step: step)
        case .findings: FindingsStep(step: step)
        case .rightsNotice: RightsNoticeStep(step: step)
        case .close: CloseStep(step: step)
        }
    }

    /// Saves the draft on every change; a full disk is said, and the text stays.
    private func saveDraft(_ d: InspectionDraft) {
        do {
            try model.drafts.save(d, for: inspectionId)
        } catch {
            model.error = ErrorPresenter.present(error)
        }
    }
}

/// What every step view gets.
struct StepContext {
    let inspectionId: String
    let flow: InspectionFlowState
    @Binding var draft: InspectionDraft
}

private struct StepBar: View {
    let flow: InspectionFlowState
    let select: (FlowStep) -> Void
    @Environment(\.dynamicTypeSize) private var typeSize

    var body: some View {
        if typeSize.isAccessibilitySize {
            // Large text: chips would clip in one row; a menu shows the current step
            // in full and lists every step with its state.
            Menu {
                ForEach(flow.steps) { item in
                    Button { select(item.step) } label: { Label(item.step.title, systemImage: icon(item.progress)) }
                }
            } label: {
                Label("步骤：\(flow.current.title)", systemImage: "list.number")
                    .frame(maxWidth: .infinity, alignment: .leading)
                    .padding()
            }
            .accessibilityLabel("当前步骤 \(flow.current.title)，点按切换步骤")
        } else {
            ScrollView(.horizontal, showsIndicators: false) {
                HStack {
                    ForEach(flow.steps) { item in
                        Button { select(item.step) } label: {
                            HStack(spacing: 4) {
                                Image(systemName: icon(item.progress))
                                Text(item.step.title).fixedSize()
                            }
                            .font(.footnote)
                            .padding(6)
                            .background(RoundedRectangle(cornerRadius: 6).fill(item.step == flow.current ? Color.accentColor.opacity(0.15) : .clear))
                        }
                        .accessibilityLabel("\(item.step.title)，\(progressLabel(item.progress))")
                        .accessibilityAddTraits(item.step == flow.current ? .isSelected : [])
                    }
                }
                .padding(.horizontal)
            }
            .padding(.vertical, 6)
        }
    }

    private func progressLabel(_ p: StepProgress) -> String {
        switch p {
        case .done: return "已完成"
        case .incomplete: return "未完成"
        case .notStarted: return "未开始"
        }
    }

    private func icon(_ p: StepProgress) -> String {
        switch p {
        case .done: return "checkmark.circle.fill"
        case .incomplete: return "exclamationmark.circle"
        case .notStarted: return "circle"
        }
    }
}

// MARK: - check-in

private struct CheckInStep: View {
    let step: StepContext
    let task: TaskView?
    @EnvironmentObject private var model: AppModel

    var body: some View {
        let assigned: [OfficerView] = task.map { t in
            t.officerIds.compactMap { id in model.officers.first { $0.id == id } }
        } ?? model.officers
        ForEach(step.flow.checkInRows(assigned: assigned)) { row in
            HStack {
                VStack(alignment: .leading) {
                    Text(row.name).font(.headline)
                    Text("执法证号 \(row.certificateNo)").font(.caption)
                    Text(row.status).font(.caption).foregroundStyle(.secondary)
                    if let position = row.position {
                        Label(position, systemImage: position == LocationPolicy.noPosition ? "location.slash" : "location")
                            .font(.caption).foregroundStyle(.secondary)
                    }
                }
                Spacer()
                if row.checkedInAt == nil && !step.flow.isClosed {
                    Button("出示证件并签到") {
                        // Where, when the fix is fresh and accurate (LocationPolicy); else
                        // none, and the row says 「未取得位置」.
                        let location = model.location.capturePosition().location
                        model.attempt { try $0.checkIn(id: step.inspectionId, officerId: row.officerId, location: location) }
                    }
                    .buttonStyle(.borderedProminent)
                }
            }
        }
        Text("两名执法人员须各自出示执法证件签到；证件由本机缓存的执法人员名单核验。").font(.footnote).foregroundStyle(.secondary)
    }
}

// MARK: - identity notice

private struct IdentityNoticeStep: View {
    let step: StepContext
    @EnvironmentObject private var model: AppModel
    @StateObject private var recorder = AudioRecorder()
    @StateObject private var video = VideoRecorder()
    @State private var medium: NoticeMedium = .video
    @State private var statement: String?
    @State private var prompt: PermissionPrompt?
    @State private var saving = false

    var body: some View {
        if let notice = step.flow.view.identityNotice {
            Text(notice.statement)
            Label("已录制并保存（\(Display.dateTime(notice.givenAt))）", systemImage: "checkmark.seal").foregroundStyle(.green)
        } else {
            Text("请在录音录像的同时宣读以下用语，并出示执法证件：").font(.footnote)
            Text(statement ?? "").font(.title3).padding().background(RoundedRectangle(cornerRadius: 8).fill(Color.yellow.opacity(0.15)))
                .onAppear { loadStatement() }
            if let prompt { PermissionNotice(prompt: prompt) }
            if !recorder.isRecording && !video.state.isRecording {
                Picker("记录方式", selection: $medium) {
                    ForEach(NoticeMedium.allCases, id: \.self) { Text($0.label).tag($0) }
                }
                .pickerStyle(.segmented)
                .accessibilityLabel("亮证告知的记录方式：录音或录像")
            }
            if medium == .video {
                CameraPreview(session: video.session)
                    .frame(height: 240)
                    .clipShape(RoundedRectangle(cornerRadius: 8))
                    .accessibilityLabel("录像取景")
                if let message = video.state.interruptionMessage { Text(message).foregroundStyle(.orange) }
            } else if let interruption = recorder.interruption {
                Text(interruption).foregroundStyle(.orange)
            }
            if video.state.isRecording {
                TimelineView(.periodic(from: .now, by: 1)) { context in
                    Label(video.state.timer(at: context.date) ?? "", systemImage: "record.circle")
                        .font(.title3.monospacedDigit()).foregroundStyle(.red)
                        .accessibilityLabel(video.state.timerAccessibility(at: context.date) ?? "")
                }
                Button("宣读完毕，停止并保存") { Task { await stopAndSave() } }.buttonStyle(.borderedProminent)
            } else if recorder.isRecording {
                Label("录音中 \(Int(recorder.elapsed)) 秒", systemImage: "record.circle").foregroundStyle(.red)
                    .accessibilityLabel("正在录音，已 \(Int(recorder.elapsed)) 秒")
                Button("宣读完毕，停止并保存") { Task { await stopAndSave() } }.buttonStyle(.borderedProminent)
            } else if let pending = step.draft.pendingRecordingPath, FileManager.default.fileExists(atPath: pending) {
                Text("有一段尚未保存的录音录像（可能被来电中断或应用曾被关闭）。").foregroundStyle(.orange)
                Button(saving ? "正在保存…" : "保存这段录音录像") { Task { await save(path: pending) } }.disabled(saving)
                Button("重新录制") { Task { await startRecording() } }
            } else {
                Button(medium == .video ? "开始录像" : "开始录音") { Task { await startRecording() } }.buttonStyle(.borderedProminent)
            }
            PositionNote(location: model.location)
        }
    }

    private func loadStatement() {
        if statement == nil {
            statement = model.attempt { try $0.identityStatement(id: step.inspectionId) }
        }
    }

    private func startRecording() async {
        loadStatement()
        model.location.start()
        prompt = await CameraAccess.ensure(.microphone)
        if prompt == nil, medium == .video { prompt = await CameraAccess.ensure(.camera) }
        guard prompt == nil else { return }
        let url = medium == .video
            ? VideoRecorder.newFile(in: AppModel.captureDirectory)
            : AudioRecorder.newFile(in: AppModel.captureDirectory)
        step.draft.pendingRecordingPath = url.path
        do {
            try model.drafts.save(step.draft, for: step.inspectionId)
            if medium == .video {
                try video.prepare()
                video.start(url: url)
            } else {
                try recorder.start(url: url)
            }
        } catch {
            model.error = ErrorPresenter.present(error)
        }
    }

    private func stopAndSave() async {
        if video.state.isRecording {
            video.stop()
            guard let url = video.url else { return }
            // The movie output finishes the file asynchronously; wait briefly for it.
            try? await Task.sleep(nanoseconds: 500_000_000)
            await save(path: url.path)
            return
        }
        guard let url = recorder.stop() else { return }
        await save(path: url.path)
    }

    private func save(path: String) async {
        saving = true
        defer { saving = false }
        loadStatement()
        let isVideo = path.hasSuffix(".mov")
        let position = model.location.capturePosition()
        let request = CaptureRequest(
            kind: isVideo ? .video : .audio,
            mediaType: isVideo ? NoticeMedium.video.mediaType : NoticeMedium.audio.mediaType,
            step: .identityNotice, location: position.location)
        guard let captured = await model.attemptAsync({
            try await $0.captureEvidence(id: step.inspectionId, filePath: path, request: request, by: model.me)
        }) else { return }
        let ok = model.attempt {
            try $0.recordIdentityNotice(id: step.inspectionId, statement: statement, recordingSha256: captured.sha256, by: model.me)
        }
        if ok != nil {
            step.draft.pendingRecordingPath = nil
            try? FileManager.default.removeItem(atPath: path)
            video.shutdown()
        }
    }
}

/// The camera's live picture for the identity-notice video.
struct CameraPreview: UIViewRepresentable {
    let session: AVCaptureSession

    func makeUIView(context: Context) -> PreviewView {
        let v = PreviewView()
        v.previewLayer.session = session
        v.previewLayer.videoGravity = .resizeAspectFill
        return v
    }

    func updateUIView(_ view: PreviewView, context: Context) {}

    final class PreviewView: UIView {
        override class var layerClass: AnyClass { AVCaptureVideoPreviewLayer.self }
        var previewLayer: AVCaptureVideoPreviewLayer {
            // layerClass guarantees the type.
            layer as! AVCaptureVideoPreviewLayer // swiftlint:disable:this force_cast
        }
    }
}

// MARK: - findings

private struct FindingsStep: View {
    let step: StepContext
    @EnvironmentObject private var model: AppModel
    @State private var showingCamera = false
    @State private var albumItem: PhotosPickerItem?
    @State private var prompt: PermissionPrompt?

    var body: some View {
        ForEach(step.flow.view.findings, id: \.id) { f in
            VStack(alignment: .leading) {
                Text(f.text)
                Text("证据 \(f.evidence.count) 项 · \(Display.dateTime(f.at))").font(.caption).foregroundStyle(.secondary)
            }
        }
        if !step.flow.isClosed {
            let photos = step.flow.unattachedPhotos
            if !photos.isEmpty {
                Text("已拍摄 \(photos.count) 张照片，将附在下一条检查情况中。").font(.footnote)
                ScrollView(.horizontal) {
                    HStack {
                        ForEach(photos, id: \.sha256) { p in EvidenceThumbnail(sha256: p.sha256) }
                    }
                }
            }
            if !step.draft.pendingPhotoPaths.isEmpty {
                Button("有 \(step.draft.pendingPhotoPaths.count) 张照片尚未保存，点此保存") {
                    Task { for path in step.draft.pendingPhotoPaths { await capture(path: path, mediaType: "application/octet-stream") } }
                }
            }
            if let prompt {
                PermissionNotice(prompt: prompt) { self.prompt = nil }
            }
            ViewThatFits {
                HStack {
                    Button { Task { await openCamera() } } label: { Label("拍照", systemImage: "camera") }
                    PhotosPicker(selection: $albumItem, matching: .images) { Label("从相册选择", systemImage: "photo") }
                }
                VStack(alignment: .leading) {
                    Button { Task { await openCamera() } } label: { Label("拍照", systemImage: "camera") }
                    PhotosPicker(selection: $albumItem, matching: .images) { Label("从相册选择", systemImage: "photo") }
                }
            }
            .buttonStyle(.bordered)
            PositionNote(location: model.location)
                .onAppear { model.location.start() }
            TextField("检查情况（例如：废水排放口未设置标志牌）", text: step.$draft.findingText, axis: .vertical)
                .lineLimit(3...8)
                .textFieldStyle(.roundedBorder)
            Button("添加检查情况") { addFinding(photos: photos.map(\.sha256)) }
                .buttonStyle(.borderedProminent)
                .disabled(step.draft.findingText.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        }
        EmptyView()
            .sheet(isPresented: $showingCamera) {
                CameraPicker { photo in
                    showingCamera = false
                    // The bytes the camera wrote, EXIF kept (never re-encoded).
                    if let photo { Task { await store(photo.data, mediaType: photo.mediaType, ext: photo.fileExtension) } }
                }
                .ignoresSafeArea()
            }
            .onChange(of: albumItem) { item in
                guard let item else { return }
                Task {
                    albumItem = nil
                    if let data = try? await item.loadTransferable(type: Data.self) {
                        // The content decides the format (JPEG, HEIC, ...).
                        await store(data, mediaType: "application/octet-stream", ext: "img")
                    }
                }
            }
    }

    private func openCamera() async {
        prompt = await CameraAccess.ensure(.camera)
        guard prompt == nil else { return }
        if CameraPicker.isAvailable { showingCamera = true }
    }

    /// Writes the photo to the capture directory (remembered in the draft), then hands
    /// it to the core; the file is removed only once the core has it.
    private func store(_ data: Data, mediaType: String, ext: String) async {
        let url = AppModel.captureDirectory.appendingPathComponent("photo-\(UUID().uuidString).\(ext)")
        do {
            try data.write(to: url, options: .atomic)
            step.draft.pendingPhotoPaths.append(url.path)
            try model.drafts.save(step.draft, for: step.inspectionId)
        } catch {
            model.error = ErrorPresenter.present(error)
            return
        }
        await capture(path: url.path, mediaType: mediaType)
    }

    private func capture(path: String, mediaType: String) async {
        // Where the photo was taken, when the fix is fresh and accurate (LocationPolicy).
        let position = model.location.capturePosition()
        let request = CaptureRequest(kind: .photo, mediaType: mediaType, step: .findings, location: position.location)
        let captured = await model.attemptAsync {
            try await $0.captureEvidence(id: step.inspectionId, filePath: path, request: request, by: model.me)
        }
        if let captured {
            step.draft.pendingPhotoPaths.removeAll { $0 == path }
            try? FileManager.default.removeItem(atPath: path)
            if let warning = captured.exifWarning {
                model.error = ErrorPresentation(title: "照片已保存", message: warning, action: .dismiss)
            } else if request.location == nil {
                model.error = ErrorPresentation(title: "照片已保存", message: "\(LocationPolicy.noPosition)。\(position.note)", action: .dismiss)
            }
        }
    }

    private func addFinding(photos: [String]) {
        let text = step.draft.findingText
        if model.attempt({ try $0.addFinding(id: step.inspectionId, text: text, evidence: photos, by: model.me) }) != nil {
            step.draft.findingText = ""
        }
    }
}

/// A small picture of an evidence photo from the device's evidence store.
struct EvidenceThumbnail: View {
    let sha256: String
    @EnvironmentObject private var model: AppModel

    var body: some View {
        Group {
            if let path = model.core?.evidenceFile(sha256: sha256), let image = UIImage(contentsOfFile: path) {
                Image(uiImage: image).resizable().scaledToFill()
            } else {
                Image(systemName: "photo")
            }
        }
        .frame(width: 72, height: 72)
        .clipShape(RoundedRectangle(cornerRadius: 6))
    }
}

// MARK: - rights notice

private struct RightsNoticeStep: View {
    let step: StepContext
    @EnvironmentObject private var model: AppModel
    @State private var canvas = PKCanvasView()
    @State private var saving = false

    var body: some View {
        let availability = RightsNoticeAvailability.from(model.rightsNotice, view: step.flow.view)
        if let given = step.flow.view.rightsNotice {
            switch given.response {
            case let .signed(name, _): Label("已告知，当事人 \(name) 已签字", systemImage: "checkmark.seal").foregroundStyle(.green)
            case let .refused(witness, _): Label("已告知，当事人拒绝签字，见证人 \(witness)", systemImage: "checkmark.seal").foregroundStyle(.green)
            }
            Text("告知书版本：\(given.noticeVersion)").font(.caption).foregroundStyle(.secondary)
        } else if case let .missing(message) = availability {
            Label(message, systemImage: "exclamationmark.triangle").foregroundStyle(.orange)
            Button("立即同步") { Task { await model.triggerSync(.userRequested) } }.buttonStyle(.borderedProminent)
        } else if let notice = availability.notice {
            Text("请向当事人宣读或出示以下告知内容：").font(.footnote)
            Text(notice.text).padding().background(RoundedRectangle(cornerRadius: 8).fill(Color.blue.opacity(0.08)))
                .accessibilityLabel("权利告知书，版本 \(notice.version)：\(notice.text)")
            Toggle("当事人拒绝签字", isOn: step.$draft.partyRefused)
            if step.draft.partyRefused {
                TextField("见证人姓名", text: step.$draft.witnessName).textFieldStyle(.roundedBorder)
                TextField("拒签理由（当事人所述，可空）", text: step.$draft.refusalReason).textFieldStyle(.roundedBorder)
            } else {
                TextField("签名人姓名", text: step.$draft.signerName).textFieldStyle(.roundedBorder)
                Text("请当事人在下方签名：").font(.footnote)
                SignaturePad(canvas: canvas)
                    .frame(height: 200)
                    .overlay(RoundedRectangle(cornerRadius: 6).stroke(Color.secondary))
                    .accessibilityLabel("当事人签名区")
                Button("清除签名") { canvas.drawing = PKDrawing() }
            }
            Button(saving ? "正在保存…" : "确认告知") { Task { await submit(notice) } }
                .buttonStyle(.borderedProminent)
                .disabled(saving)
        }
    }

    private func submit(_ notice: RightsNoticeText) async {
        saving = true
        defer { saving = false }
        var signature: String?
        if !step.draft.partyRefused {
            guard let sha = await captureSignature() else { return }
            signature = sha
        }
        guard let request = notice.request(draft: step.draft, signatureSha256: signature) else {
            model.error = ErrorPresentation(
                title: "请补全告知信息",
                message: step.draft.partyRefused ? "当事人拒绝签字的，须填写见证人姓名（R-SCENE-4）。" : "请填写签名人姓名并由当事人签名（R-SCENE-4）。",
                ruleIds: ["R-SCENE-4"], action: .dismiss)
            return
        }
        if model.attempt({ try $0.recordRightsNotice(id: step.inspectionId, request: request, by: model.me) }) != nil {
            step.draft.pendingSignaturePath = nil
        }
    }

    /// The signature PNG, written to the capture directory and handed to the core.
    private func captureSignature() async -> String? {
        var path = step.draft.pendingSignaturePath
        if path == nil || !FileManager.default.fileExists(atPath: path!) {
            guard let png = canvas.signaturePNG() else {
                model.error = ErrorPresentation(title: "尚未签名", message: "请当事人在签名区签名（R-SCENE-4）。", ruleIds: ["R-SCENE-4"], action: .dismiss)
                return nil
            }
            let url = AppModel.captureDirectory.appendingPathComponent("signature-\(UUID().uuidString).png")
            do {
                try png.write(to: url, options: .atomic)
                step.draft.pendingSignaturePath = url.path
                try model.drafts.save(step.draft, for: step.inspectionId)
            } catch {
                model.error = ErrorPresenter.present(error)
                return nil
            }
            path = url.path
        }
        guard let file = path else { return nil }
        let request = CaptureRequest(kind: .signature, mediaType: "image/png", step: .rightsNotice)
        return await model.attemptAsync {
            try await $0.captureEvidence(id: step.inspectionId, filePath: file, request: request, by: model.me)
        }?.sha256
    }
}

// MARK: - close

private struct CloseStep: View {
    let step: StepContext
    @EnvironmentObject private var model: AppModel

    var body: some View {
        if let closed = step.flow.view.closedAt {
            Label("检查已于 \(Display.dateTime(closed)) 结束，记录将自动同步。", systemImage: "checkmark.seal.fill").foregroundStyle(.green)
        } else {
            if step.flow.unmetLines.isEmpty {
                Text("各项规则均已满足，可以结束检查。").foregroundStyle(.green)
            } else {
                Text("以下规则尚未满足，结束检查将被拒绝：").font(.headline)
                ForEach(step.flow.unmetLines, id: \.self) { Text($0).foregroundStyle(.orange) }
            }
            Button("结束检查") { close() }.buttonStyle(.borderedProminent)
        }
    }

    private func close() {
        // The core refuses with every unmet rule listed (CloseRefused → the alert).
        guard model.attempt({ try $0.close(id: step.inspectionId, by: model.me) }) != nil else { return }
        model.drafts.remove(step.inspectionId)
        Task { await model.triggerSync(.inspectionClosed) }
    }
}

/// What will be recorded as the capture position, updated as fixes arrive; with a
/// Settings button when location is off.
struct PositionNote: View {
    @ObservedObject var location: LocationProvider
    @EnvironmentObject private var model: AppModel

    var body: some View {
        let position = location.capturePosition()
        HStack {
            Label(position.note, systemImage: position.location == nil ? "location.slash" : "location")
                .font(.caption).foregroundStyle(.secondary)
            if position.offersSettings {
                Button("打开设置") { model.openSettings() }.font(.caption)
            }
        }
        .onAppear { location.start() }
    }
}
