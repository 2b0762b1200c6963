import Records

/// One run of a course: weekdays from `first` to `last`.
struct Schedule: Sendable {
    let course: Int
    let first: CalendarDate
    let last: CalendarDate
    let startHour: Int, startMinute: Int
    let endHour: Int, endMinute: Int
    var id = ""
    var startText = ""
    var endText = ""

    /// Spreads `count` runs of `course` evenly over `range` (one in each equal slice, at a
    /// random day in it), each starting on a weekday that leaves all its days on weekdays.
    static func runs(of course: Int, days: Int, count: Int, over range: ClosedRange<CalendarDate>,
                     random: inout SplitMix64) -> [Schedule] {
        let start = range.lowerBound.dayNumber
        let span = range.upperBound.dayNumber - start + 1
        return (0..<count).map { slice in
            let sliceStart = start + span * slice / count
            let sliceEnd = max(sliceStart + 1, start + span * (slice + 1) / count)
            let first = firstTrainingDay(from: CalendarDate(dayNumber: sliceStart + random.below(sliceEnd - sliceStart)), days: days)
            let (startHour, startMinute) = [(9, 0), (9, 0), (9, 0), (9, 0), (8, 30), (9, 30)][random.below(6)]
            let (endHour, endMinute) = [(17, 0), (17, 0), (17, 0), (16, 30), (16, 30), (16, 0)][random.below(6)]
            return Schedule(course: course, first: first, last: first.adding(days: days - 1),
                            startHour: startHour, startMinute: startMinute, endHour: endHour, endMinute: endMinute)
        }
    }

    /// The first day on or after `date` that a `days`-long course can start: Monday to Friday
    /// with the last day on a weekday too, and not over Christmas and New Year.
    static func firstTrainingDay(from date: CalendarDate, days: Int) -> CalendarDate {
        var day = date
        while true {
            if day.month == 12, day.day >= 22 {
                day = CalendarDate(year: day.year + 1, month: 1, day: 3)!
            } else if day.month == 1, day.day < 3 {
                day = CalendarDate(year: day.year, month: 1, day: 3)!
            } else if day.weekday > 5 - days {
                day = day.adding(days: 7 - day.weekday)  // next Monday
            } else {
                return day
            }
        }
    }
}
