/// A course the provider runs.
struct Course: Sendable {
    let id: String
    let name: String
    /// Certificate validity in months; nil: certificates never expire.
    let validityMonths: Int?
    /// Training days, 1–5, all on weekdays.
    let days: Int
    /// False for awareness courses that record no pass or fail.
    let recordsResults: Bool
    /// How often it is booked, relative to the others.
    let popularity: Double
    /// Price per delegate in pence, for outstanding balances.
    let pricePence: Int

    /// The `validity_months` column: empty when certificates never expire.
    let validityText: String

    init(_ number: Int, _ name: String, validity: Int?, days: Int, results: Bool = true, popularity: Double, price: Int) {
        id = Text.identifier("CRS-", number, width: 2)
        self.name = name
        validityMonths = validity
        self.days = days
        recordsResults = results
        self.popularity = popularity
        pricePence = price * 100
        validityText = validity.map(String.init) ?? ""
    }

    static let catalogue: [Course] = [
        Course(1, "First Aid at Work", validity: 36, days: 3, popularity: 10, price: 295),
        Course(2, "Emergency First Aid at Work", validity: 36, days: 1, popularity: 10, price: 125),
        Course(3, "Fire Marshal", validity: 36, days: 1, popularity: 8, price: 135),
        Course(4, "Manual Handling", validity: 12, days: 1, popularity: 8, price: 95),
        Course(5, "IOSH Managing Safely", validity: 36, days: 3, popularity: 6, price: 545),
        Course(6, "Food Hygiene Level 2", validity: 36, days: 1, popularity: 6, price: 85),
        Course(7, "Working at Height", validity: 12, days: 1, popularity: 6, price: 140),
        Course(8, "Mental Health First Aid", validity: 36, days: 2, popularity: 4, price: 300),
        Course(9, "Paediatric First Aid", validity: 36, days: 2, popularity: 3, price: 180),
        Course(10, "Asbestos Awareness", validity: 12, days: 1, popularity: 4, price: 90),
        Course(11, "Abrasive Wheels", validity: 36, days: 1, popularity: 2, price: 150),
        Course(12, "Confined Spaces", validity: 36, days: 1, popularity: 2, price: 240),
        Course(13, "Forklift Truck Refresher", validity: 36, days: 2, popularity: 3, price: 420),
        Course(14, "PASMA Towers for Users", validity: 60, days: 1, popularity: 3, price: 175),
        Course(15, "IPAF Mobile Elevating Work Platforms", validity: 60, days: 2, popularity: 2, price: 450),
        Course(16, "NEBOSH National General Certificate", validity: nil, days: 5, popularity: 2, price: 1450),
        Course(17, "COSHH Awareness", validity: nil, days: 1, results: false, popularity: 3, price: 80),
        Course(18, "Health and Safety Awareness", validity: nil, days: 1, results: false, popularity: 3, price: 75),
        Course(19, "DSE Assessor", validity: nil, days: 1, results: false, popularity: 2, price: 195),
        Course(20, "Fire Safety Awareness", validity: 12, days: 1, results: false, popularity: 3, price: 65),
    ]
}
