import CSV
import Records

/// One booking: delegates of one organisation on one schedule, booked by one of its bookers.
struct Booking: Sendable {
    var organisation: Int
    var booker: Int
    var schedule: Int
    /// Indices into the organisation's staff, distinct.
    var delegates: [Int]
    /// The result for a finished schedule of a course that records results; nil: drawn
    /// (about 7% fail).
    var result: AttendeeResult?
    var rebooking = Rebooking.drawn

    /// Which delegates come back for the same course.
    enum Rebooking: Sendable {
        /// Most who failed, some who passed (after their certificate expired).
        case drawn
        /// Everyone who passed, after their certificate expired.
        case afterExpiry
        case never
    }
}

/// Generates the rows booking by booking and hands them out in chunks (a pull iterator, so
/// only one chunk and a short queue of follow-up bookings are ever held).
struct DemoDataGenerator {
    static let chunkBytes = 64 * 1024

    private let world: DemoWorld
    private var random: SplitMix64
    private var rowsLeft: Int
    private var nextBookingNumber = 1
    private var headerWritten = false
    /// Bookings to write before drawing new ones: the demo scenarios, then re-bookings.
    private var queue: [Booking] = []
    private var queueHead = 0
    /// The demo organisation's first staff, kept for the scenarios: no drawn booking puts
    /// them on another course run, so each keeps the status their scenario gives them.
    private let reservedDemoStaff: Int
    private var buffer: [UInt8] = []
    private var row = [String](repeating: "", count: Column.allCases.count)

    init(_ plan: DemoDataPlan) {
        world = DemoWorld(plan)
        random = SplitMix64(seed: plan.seed, stream: 2)
        rowsLeft = plan.records
        (queue, reservedDemoStaff) = Self.demoScenarios(in: world)
        buffer.reserveCapacity(Self.chunkBytes + 4096)
    }

    /// The next chunk of the file, nil at the end.
    mutating func nextChunk() -> ArraySlice<UInt8>? {
        buffer.removeAll(keepingCapacity: true)
        if !headerWritten {
            CSVWriter.appendRecord(DemoData.header, to: &buffer)
            headerWritten = true
        }
        while rowsLeft > 0, buffer.count < Self.chunkBytes {
            write(nextBooking())
        }
        return buffer.isEmpty ? nil : buffer[...]
    }

    private mutating func nextBooking() -> Booking {
        guard queueHead < queue.count else { return randomBooking() }
        let booking = queue[queueHead]
        queueHead += 1
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        }
        return booking
    }

    private mutating func randomBooking() -> Booking {
        let organisationIndex = world.organisationPicker.pick(using: &random)
        let staff = world.organisations[organisationIndex].contacts.count
        let reserved = organisationIndex == 0 ? reservedDemoStaff : 0
        let course = world.coursePicker.pick(using: &random)
        let runs = world.schedulesByCourse[course]
        // 1–6 delegates, mostly few; colleagues next to each other in the staff list.
        let size = min(staff - reserved, [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 6][random.below(20)])
        let firstDelegate = random.below(staff - reserved)
        return Booking(organisation: organisationIndex, booker: pickBooker(organisationIndex),
                       schedule: runs[random.below(runs.count)],
                       delegates: (0..<size).map { reserved + (firstDelegate + $0) % (staff - reserved) })
    }

    private mutating func pickBooker(_ organisationIndex: Int) -> Int {
        let bookers = world.organisations[organisationIndex].bookers
        // The first booker makes half the bookings (the demo booker among them).
        if bookers.count == 1 || random.chance(0.5) { return bookers.lowerBound }
        return bookers.lowerBound + 1 + random.below(bookers.count - 1)
    }

    private mutating func write(_ booking: Booking) {
        let organisation = world.organisations[booking.organisation]
        let booker = world.bookers[booking.booker]
        let schedule = world.schedules[booking.schedule]
        let course = world.courses[schedule.course]
        let finished = schedule.last <= world.today

        row[Column.bookingID.rawValue] = Text.identifier("BK-", nextBookingNumber, width: 6)
        nextBookingNumber += 1
        row[Column.organisationID.rawValue] = organisation.id
        row[Column.organisationName.rawValue] = organisation.name
        row[Column.bookerID.rawValue] = booker.id
        row[Column.bookerName.rawValue] = booker.name
        row[Column.bookerEmail.rawValue] = booker.email
        row[Column.courseID.rawValue] = course.id
        row[Column.courseName.rawValue] = course.name
        row[Column.validityMonths.rawValue] = course.validityText
        row[Column.scheduleID.rawValue] = schedule.id
        row[Column.scheduleStart.rawValue] = schedule.startText
        row[Column.scheduleEnd.rawValue] = schedule.endText
        row[Column.outstanding.rawValue] = outstanding(on: schedule, course: course, delegates: booking.delegates.count)

        var passed: [Int] = []
        var failed: [Int] = []
        for delegate in booking.delegates where rowsLeft > 0 {
            let (number, person, email) = world.contact(delegate, of: organisation)
            var result = AttendeeResult.none
            if finished, course.recordsResults {
                result = booking.result ?? (random.chance(0.07) ? .fail : .pass)
            }
            switch result {
            case .pass: passed.append(delegate)
            case .fail: failed.append(delegate)
            case .none: break
            }
            row[Column.contactID.rawValue] = Text.identifier("C-", number, width: 6)
            row[Column.contactName.rawValue] = person.name
            row[Column.contactEmail.rawValue] = email
            row[Column.result.rawValue] = result == .none ? "" : result.rawValue
            CSVWriter.appendRecord(row, to: &buffer)
            rowsLeft -= 1
        }
        queueRebookings(after: booking, passed: passed, failed: failed)
    }

    /// Most failed delegates are re-booked a few weeks later and pass; some who passed come
    /// back on a schedule after their certificate expired.
    private mutating func queueRebookings(after booking: Booking, passed: [Int], failed: [Int]) {
        let schedule = world.schedules[booking.schedule]
        if booking.rebooking == .never { return }
        if !failed.isEmpty, random.chance(0.75),
           let later = world.schedule(of: schedule.course, startingAfter: schedule.last.adding(days: 14), random: &random) {
            queue.append(Booking(organisation: booking.organisation, booker: booking.booker, schedule: later,
                                 delegates: failed, result: .pass))
        }
        guard let validity = world.courses[schedule.course].validityMonths, !passed.isEmpty,
              booking.rebooking == .afterExpiry || random.chance(0.3) else { return }
        let returning = booking.rebooking == .afterExpiry ? passed : passed.filter { _ in random.chance(0.7) }
        let expiry = schedule.last.adding(months: validity)
        if !returning.isEmpty,
           let later = world.schedule(of: schedule.course, startingAfter: expiry, random: &random) {
            queue.append(Booking(organisation: booking.organisation, booker: pickBooker(booking.organisation),
                                 schedule: later, delegates: returning))
        }
    }

    /// A balance still owed: about one booking in ten, mostly recent or upcoming ones;
    /// otherwise empty or 0 (paid).
    private mutating func outstanding(on schedule: Schedule, course: Course, delegates: Int) -> String {
        let recent = schedule.last.dayNumber >= world.today.dayNumber - 60
        if random.chance(recent ? 0.3 : 0.06) {
            let full = course.pricePence * delegates
            let owed = random.chance(0.5) ? full : full * random.between(1...9) / 10 / 50 * 50
            return Text.money(pence: max(owed, 50))
        }
        return random.chance(0.3) ? "0" : ""
    }

    /// Bookings for the demo organisation that give its logins one record of each status
    /// (once certificates are issued): expired, re-booked, expiring, certified (with and
    /// without expiry), failed, booked, and pending on a course without results; and some
    /// by its other bookers. Scenarios whose schedule the plan lacks are left out. Returns
    /// them with the number of staff they use.
    private static func demoScenarios(in world: DemoWorld) -> (bookings: [Booking], staffUsed: Int) {
        let today = world.today
        let demoBooker = world.organisations[0].bookers.lowerBound
        let staff = world.organisations[0].contacts.count
        var scenarios: [Booking] = []
        var nextDelegate = 0
        func add(_ schedule: Int?, delegates: Int, result: AttendeeResult?, booker: Int = demoBooker,
                 rebooking: Booking.Rebooking = .never) {
            guard let schedule else { return }
            scenarios.append(Booking(organisation: 0, booker: booker, schedule: schedule,
                                     delegates: (0..<min(delegates, staff)).map { (nextDelegate + $0) % staff },
                                     result: result, rebooking: rebooking))
            nextDelegate += delegates
        }
        func course(_ name: String) -> Int { world.courses.firstIndex { $0.name == name }! }
        func expiry(_ schedule: Schedule) -> CalendarDate? {
            world.courses[schedule.course].validityMonths.map { schedule.last.adding(months: $0) }
        }
        let finished = { (schedule: Schedule) in schedule.last <= today }

        add(world.latestSchedule(of: course("Manual Handling")) { expiry($0)! < today.adding(days: -45) },
            delegates: 1, result: .pass)
        add(world.latestSchedule(of: course("Working at Height")) { expiry($0)!.adding(days: 60) < today },
            delegates: 2, result: .pass, rebooking: .afterExpiry)
        let expiring = world.courses.indices.lazy.filter { world.courses[$0].recordsResults }.compactMap { index in
            world.latestSchedule(of: index) { schedule in
                guard finished(schedule), let expiry = expiry(schedule) else { return false }
                return expiry >= today && expiry <= today.endOfYear
            }
        }.first
        add(expiring, delegates: 1, result: .pass)
        add(world.latestSchedule(of: course("First Aid at Work")) { finished($0) && expiry($0)! > today.endOfYear },
            delegates: 2, result: .pass)
        add(world.latestSchedule(of: course("NEBOSH National General Certificate"), where: finished),
            delegates: 1, result: .pass)
        add(world.latestSchedule(of: course("Fire Marshal"), where: finished), delegates: 1, result: .fail,
            rebooking: .drawn)
        add(world.schedulesByCourse[course("Emergency First Aid at Work")].first { world.schedules[$0].first > today },
            delegates: 2, result: nil)
        add(world.latestSchedule(of: course("COSHH Awareness"), where: finished), delegates: 1, result: nil)
        add(world.latestSchedule(of: course("Food Hygiene Level 2"), where: finished), delegates: 2, result: .pass,
            booker: demoBooker + 1)
        add(world.latestSchedule(of: course("Asbestos Awareness"), where: finished), delegates: 1, result: nil,
            booker: demoBooker + 2)
        // Keep the scenarios' staff to themselves only when enough are left for the rest.
        return (scenarios, staff >= 2 * nextDelegate ? nextDelegate : 0)
    }
}
