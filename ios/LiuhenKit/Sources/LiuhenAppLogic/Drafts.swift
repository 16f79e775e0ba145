import Foundation

/// What the officer has typed or captured on a step but not yet handed to the core.
/// Saved on every change, so an app killed in the middle of a step loses nothing:
/// recorded steps are in the core; this holds the rest.
public struct InspectionDraft: Codable, Equatable, Sendable {
    /// Text of the finding being written.
    public var findingText: String = ""
    /// Name of the party who signs (rights notice).
    public var signerName: String = ""
    /// Whether the party refused to sign.
    public var partyRefused: Bool = false
    /// Witness of a refusal.
    public var witnessName: String = ""
    /// Reason of a refusal, as stated.
    public var refusalReason: String = ""
    /// File of an identity-notice recording not yet handed to the core (the recorder
    /// was running, or the core call failed). Offered again when the step reopens.
    public var pendingRecordingPath: String?
    /// File of a signature image not yet handed to the core.
    public var pendingSignaturePath: String?
    /// Photo files taken but not yet handed to the core.
    public var pendingPhotoPaths: [String] = []
    /// The step on screen when the draft was saved.
    public var step: FlowStep?

    /// An empty draft.
    public init() {}

    /// Whether there is nothing in it.
    public var isEmpty: Bool { self == InspectionDraft(step: step) }

    private init(step: FlowStep?) { self.step = step }
}

/// Where drafts are kept.
public protocol DraftStore: Sendable {
    /// The draft of `inspectionId` (an empty one when none was saved).
    func load(_ inspectionId: String) -> InspectionDraft
    /// Saves it; throws when the disk is full (the screen keeps the text and says so).
    func save(_ draft: InspectionDraft, for inspectionId: String) throws
    /// Removes it once the inspection is closed.
    func remove(_ inspectionId: String)
}

/// Drafts as one small JSON file per inspection, written atomically (a kill during a
/// write leaves the previous draft, never half of one).
public struct FileDraftStore: DraftStore {
    /// The directory (created on first save).
    public let directory: URL

    /// A store in `directory`.
    public init(directory: URL) { self.directory = directory }

    private func file(_ id: String) -> URL {
        let safe = id.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) || $0 == "-" ? String($0) : "_" }.joined()
        return directory.appendingPathComponent("\(safe).json")
    }

    public func load(_ inspectionId: String) -> InspectionDraft {
        guard let data = try? Data(contentsOf: file(inspectionId)),
              let draft = try? JSONDecoder().decode(InspectionDraft.self, from: data)
        else { return InspectionDraft() }
        return draft
    }

    public func save(_ draft: InspectionDraft, for inspectionId: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let data = try JSONEncoder().encode(draft)
        try data.write(to: file(inspectionId), options: .atomic)
    }

    public func remove(_ inspectionId: String) {
        try? FileManager.default.removeItem(at: file(inspectionId))
    }
}
