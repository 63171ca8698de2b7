#pragma once
// Writing a command's output file (`-o FILE`) without clobbering what FILE is.

#include <string>

namespace pgpart::cli {

// Writes `text` to `path`, treating what is there by its kind:
//  - nothing: a new file (mode 0666 less the umask) appears whole, never half written: the text
//    goes to a fresh temporary file in the same folder, renamed to `path` only if `path` is still
//    free;
//  - a regular file (reached directly or through symlinks, which are kept): replaced atomically by
//    a temporary file with its mode and owner; written in place when the replacement could not
//    keep its owner or it has other hard links; refused when it has no write permission bit (even
//    for root) or its folder is not writable;
//  - a device, FIFO or terminal (also through symlinks, e.g. /dev/stdout): written through, never
//    replaced; a FIFO nobody reads is refused rather than waited for;
//  - a dangling symlink or a folder: refused.
// The temporary file has an unpredictable name (.NAME.XXXXXX) and is created with
// O_CREAT|O_EXCL|O_NOFOLLOW, so nothing planted beside the target is followed or opened.
// False with `*error` (a sentence naming `path`) on failure; nothing is left behind then.
bool WriteOutputFile(const std::string& path, const std::string& text, std::string* error);

}  // namespace pgpart::cli
