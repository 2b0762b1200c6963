import Records

/// Everything the rows refer to, built once per plan from its seed: organisations, bookers,
/// courses and schedules. Delegates are numbers into the name book, so a million rows' worth
/// of them costs no memory.
struct DemoWorld: Sendable {
    let today: CalendarDate
    let organisations: [Organisation]
    let organisationPicker: WeightedPicker
    let bookers: [Booker]
    let courses = Course.catalogue
    let coursePicker: WeightedPicker
    /// In start order, numbered `SCH-00001` upwards.
    let schedules: [Schedule]
    /// Each course's schedules (indices into `schedules`), in start order.
    let schedulesByCourse: [[Int]]
    let names = NameBook.shared

    /// Share of the bookings that go to the demo organisation, so its logins see plenty.
    static let demoShare = 0.2

    init(_ plan: DemoDataPlan) {
        precondition(plan.records >= 0 && plan.years >= 1)
        var random = SplitMix64(seed: plan.seed, stream: 1)
        today = plan.today

        // Organisations: about one per 50 records; the demo one first, the rest with a long tail.
        let organisationCount = max(5, plan.records / 50)
        let tail = (1..<organisationCount).map { 1 / Double($0 + 2).squareRoot() }
        let tailTotal = tail.reduce(0, +)
        let shares = [Self.demoShare] + tail.map { (1 - Self.demoShare) * $0 / tailTotal }
        organisationPicker = WeightedPicker(weights: shares)

        let nameOffset = random.below(CompanyNames.firstWords.count * CompanyNames.trades.count)
        var organisations: [Organisation] = []
        var bookers: [Booker] = []
        var nextContact = 1
        for (index, share) in shares.enumerated() {
            let (name, domain) = CompanyNames.name(index, offset: nameOffset, suffix: random.below(CompanyNames.suffixes.count))
            let peopleOffset = random.below(names.names.count)
            // Each delegate appears on about 2.5 records (several courses, re-bookings).
            let staff = max(3, Int((Double(plan.records) * share / 2.5).rounded(.up)))
            let bookerCount = index == 0 ? 3 : 1 + random.below(4)
            let firstBooker = bookers.count
            for number in 0..<bookerCount {
                // People 0..<4 of each organisation are its bookers, delegates come after them.
                let person = names.person(number, offset: peopleOffset)
                bookers.append(Booker(id: Text.identifier("BKR-", bookers.count + 1, width: 4), name: person.name,
                                      email: names.emailLocalPart(number, offset: peopleOffset) + domain))
            }
            organisations.append(Organisation(
                id: Text.identifier("ORG-", index + 1, width: 4), name: name, emailDomain: domain,
                bookers: firstBooker..<bookers.count, contacts: nextContact..<(nextContact + staff),
                nameOffset: peopleOffset))
            nextContact += staff
        }
        self.organisations = organisations
        self.bookers = bookers

        // Schedules: about one per 9 records, at least 4 a course, spread over the years from
        // 1 January (years - 1) years back to about six months ahead.
        let courses = Course.catalogue
        coursePicker = WeightedPicker(weights: courses.map(\.popularity))
        let totalPopularity = courses.map(\.popularity).reduce(0, +)
        let scheduleTarget = max(courses.count * 4, plan.records / 9)
        let range = CalendarDate(year: today.year - plan.years + 1, month: 1, day: 1)!...today.adding(days: 182)
        var schedules: [Schedule] = []
        for (index, course) in courses.enumerated() {
            let count = max(4, Int(Double(scheduleTarget) * course.popularity / totalPopularity))
            schedules += Schedule.runs(of: index, days: course.days, count: count, over: range, random: &random)
        }
        // One Manual Handling run whose certificates expire between today and 31 December
        // (when a weekday allows), so the demo always has an Expiring record.
        let manualHandling = courses.firstIndex { $0.name == "Manual Handling" }!
        var last = today.endOfYear.adding(months: -12)
        while last.adding(months: 12) >= today, last >= range.lowerBound {
            if Schedule.firstTrainingDay(from: last, days: 1) == last {
                schedules.append(Schedule(course: manualHandling, first: last, last: last,
                                          startHour: 9, startMinute: 0, endHour: 16, endMinute: 30))
                break
            }
            last = last.adding(days: -1)
        }
        schedules.sort { ($0.first, $0.course, $0.startHour) < ($1.first, $1.course, $1.startHour) }
        var byCourse = [[Int]](repeating: [], count: courses.count)
        for index in schedules.indices {
            schedules[index].id = Text.identifier("SCH-", index + 1, width: 5)
            schedules[index].startText = Text.dateTime(schedules[index].first,
                                                       hour: schedules[index].startHour, minute: schedules[index].startMinute)
            schedules[index].endText = Text.dateTime(schedules[index].last,
                                                     hour: schedules[index].endHour, minute: schedules[index].endMinute)
            byCourse[schedules[index].course].append(index)
        }
        self.schedules = schedules
        schedulesByCourse = byCourse
    }

    /// A delegate's contact number, name and e-mail address.
    func contact(_ staffIndex: Int, of organisation: Organisation) -> (number: Int, person: PersonName, email: String) {
        let index = staffIndex + 4  // after the bookers
        return (organisation.contacts.lowerBound + staffIndex,
                names.person(index, offset: organisation.nameOffset),
                names.emailLocalPart(index, offset: organisation.nameOffset) + organisation.emailDomain)
    }

    /// A schedule of `course` starting after `date` (within a year), one of the next few.
    func schedule(of course: Int, startingAfter date: CalendarDate, random: inout SplitMix64) -> Int? {
        let runs = schedulesByCourse[course]
        var low = 0, high = runs.count
        while low < high {
            let middle = (low + high) / 2
            if schedules[runs[middle]].first > date { high = middle } else { low = middle + 1 }
        }
        let limit = date.adding(days: 365)
        let candidates = runs[low...].prefix(3).filter { schedules[$0].first <= limit }
        return candidates.isEmpty ? nil : candidates[random.below(candidates.count)]
    }

    /// The last schedule of `course` (in start order) that `matches`.
    func latestSchedule(of course: Int, where matches: (Schedule) -> Bool) -> Int? {
        schedulesByCourse[course].last { matches(schedules[$0]) }
    }
}
