import CInotifyTools

/// One `struct inotify_event` as read from the descriptor.
struct InotifyEvent: Equatable {
    /// The watch descriptor; -1 for `IN_Q_OVERFLOW`.
    var watch: Int32
    var mask: UInt32
    /// The entry's name inside the watched folder; empty for events on the folder itself.
    var name: String

    func has(_ flag: Int32) -> Bool { mask & UInt32(bitPattern: flag) != 0 }

    /// Splits a buffer filled by `read(2)` into events (a partial trailing record is dropped: the kernel never
    /// writes one).
    static func parse(_ bytes: UnsafeRawBufferPointer) -> [InotifyEvent] {
        let header = MemoryLayout<inotify_event>.size
        var events: [InotifyEvent] = []
        var offset = 0
        while offset + header <= bytes.count {
            let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
            let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
            let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
            let start = offset + header
            guard start + length <= bytes.count else { break }
            var nameBytes = bytes[start..<(start + length)]
            if let end = nameBytes.firstIndex(of: 0) { nameBytes = nameBytes[..<end] }
            events.append(InotifyEvent(watch: watch, mask: mask, name: String(decoding: nameBytes, as: UTF8.self)))
            offset = start + length
        }
        return events
    }
}
