/// The records table's columns, in the order the portal shows them (PRODUCT.md, "The
/// records"). The table, the JSON API, sorting and the CSV report all take them from here.
public enum RecordColumn: String, Sendable, CaseIterable, Hashable {
    case bookingID = "booking_id"
    case contactName = "contact_name"
    case organisation = "organisation"
    case booker = "booker"
    case courseName = "course_name"
    case scheduleID = "schedule_id"
    case status = "status"
    case startDate = "start_date"
    case completionDate = "completion_date"
    case expiryDate = "expiry_date"
    case certificateUpdated = "certificate_updated"
    case certType = "cert_type"
    case outstanding = "outstanding"
    case shared = "shared"
    case passFail = "pass_fail"
    case actions = "actions"

    /// The heading the portal and the CSV report show.
    public var title: String {
        switch self {
        case .bookingID: "Booking ID"
        case .contactName: "Contact Name"
        case .organisation: "Organisation"
        case .booker: "Booker"
        case .courseName: "Course Name"
        case .scheduleID: "Schedule ID"
        case .status: "Status"
        case .startDate: "Start Date"
        case .completionDate: "Completion Date"
        case .expiryDate: "Expiry Date"
        case .certificateUpdated: "Certificate Updated"
        case .certType: "Cert Type"
        case .outstanding: "Outstanding"
        case .shared: "Shared"
        case .passFail: "Pass/Fail"
        case .actions: "Actions"
        }
    }

    /// Columns holding data (all but Actions): what can be sorted and exported.
    public static let dataColumns: [RecordColumn] = allCases.filter { $0 != .actions }
}
