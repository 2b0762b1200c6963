/// A client organisation of the training provider, with its bookers and its staff (the
/// delegates, numbered by `contacts`).
struct Organisation: Sendable {
    let id: String
    let name: String
    /// `@northwind-logistics.example`: under the reserved `.example` TLD, so a demo can't mail anyone.
    let emailDomain: String
    /// Indices into the generator's bookers.
    let bookers: Range<Int>
    /// Contact numbers (`C-000001` is 1).
    let contacts: Range<Int>
    /// Where this organisation's people start in the name book.
    let nameOffset: Int
}

/// Who booked: a person at the organisation.
struct Booker: Sendable {
    let id: String
    let name: String
    let email: String
}

/// Company-like names: a distinctive word, a trade and a legal suffix.
enum CompanyNames {
    /// (as written, ASCII for the domain)
    static let firstWords: [(String, String)] = [
        ("Northwind", "northwind"), ("Harbour & Finch", "harbourfinch"), ("Blackthorn", "blackthorn"),
        ("Riverside", "riverside"), ("Summit", "summit"), ("Pennine", "pennine"), ("Thames Valley", "thamesvalley"),
        ("Oakridge", "oakridge"), ("Greenfield", "greenfield"), ("Castlegate", "castlegate"), ("Ironbridge", "ironbridge"),
        ("Severn", "severn"), ("Meridian", "meridian"), ("Cobalt", "cobalt"), ("Ashford", "ashford"),
        ("Redbrick", "redbrick"), ("Westgate", "westgate"), ("Highland", "highland"), ("Kestrel", "kestrel"),
        ("Lighthouse", "lighthouse"), ("Brightwater", "brightwater"), ("Fenwick", "fenwick"), ("Caledonian", "caledonian"),
        ("Beacon", "beacon"), ("Sterling", "sterling"), ("Marlow", "marlow"), ("Albion", "albion"),
        ("Evergreen", "evergreen"), ("Granite", "granite"), ("Silverline", "silverline"), ("Dunmore", "dunmore"),
        ("Hawthorne", "hawthorne"), ("Lakeside", "lakeside"), ("Orchard", "orchard"), ("Parkway", "parkway"),
        ("Quayside", "quayside"), ("Ravensworth", "ravensworth"), ("Saxon", "saxon"), ("Tudor", "tudor"),
        ("Vanguard", "vanguard"), ("Yew Tree", "yewtree"), ("Zenith", "zenith"), ("Kowalski & Nowak", "kowalskinowak"),
        ("Müller Brothers", "muellerbrothers"), ("Dubois Frères", "duboisfreres"), ("Østergaard", "ostergaard"),
        ("Çelik", "celik"), ("Patel & Shah", "patelshah"),
    ]
    static let trades: [(String, String)] = [
        ("Logistics", "logistics"), ("Engineering", "engineering"), ("Construction", "construction"),
        ("Care Homes", "carehomes"), ("Foods", "foods"), ("Facilities", "facilities"), ("Healthcare", "healthcare"),
        ("Manufacturing", "manufacturing"), ("Hospitality", "hospitality"), ("Retail", "retail"),
        ("Property Services", "property"), ("Recycling", "recycling"), ("Transport", "transport"),
        ("Electrical", "electrical"), ("Plumbing & Heating", "plumbing"), ("Catering", "catering"),
        ("Security", "security"), ("Scaffolding", "scaffolding"), ("Housing", "housing"), ("Dental Care", "dental"),
        ("Veterinary", "vets"), ("Nurseries", "nurseries"), ("Warehousing", "warehousing"), ("Utilities", "utilities"),
    ]
    static let suffixes = ["Ltd", "Limited", "plc", "Group", "Ltd", "LLP", "UK Ltd", "Holdings Ltd"]
    /// Past the first `firstWords × trades` organisations, names repeat with a town.
    static let towns = [
        "Leeds", "Bristol", "Glasgow", "Cardiff", "Belfast", "Norwich", "York", "Exeter",
        "Derby", "Swansea", "Aberdeen", "Plymouth", "Carlisle", "Hull", "Inverness", "Bath",
    ]

    /// The `index`-th organisation's name and e-mail domain: distinct for every index.
    static func name(_ index: Int, offset: Int, suffix: Int) -> (name: String, domain: String) {
        let pairs = firstWords.count * trades.count
        let pair = ((index % pairs) * 701 + offset) % pairs  // 701 is prime, coprime with `pairs`
        let (first, firstASCII) = firstWords[pair % firstWords.count]
        let (trade, tradeASCII) = trades[pair / firstWords.count]
        var name = "\(first) \(trade) \(suffixes[suffix % suffixes.count])"
        var domain = "\(firstASCII)-\(tradeASCII)"
        let round = index / pairs
        if round > 0 {
            let town = towns[(round - 1) % towns.count]
            let repeatNumber = (round - 1) / towns.count
            name += " (\(town)\(repeatNumber > 0 ? " \(repeatNumber + 1)" : ""))"
            domain += "-\(town.lowercased())\(repeatNumber > 0 ? "\(repeatNumber + 1)" : "")"
        }
        return (name, "@\(domain).example")
    }
}
