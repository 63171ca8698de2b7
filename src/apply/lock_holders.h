#pragma once
// Who holds the locks a step could not get: named in the step's "blocked" message, so that a DBA
// can find the session (an idle-in-transaction reader, a long report) without guessing.

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/ident.h"

namespace pgpart {

// The other sessions holding granted locks on `parent`, its partitions or `partition` (which may
// have been moved out of the parent; missing ones are ignored),
// oldest transaction first, at most three: "pid 4242 (application_name 'report', user bob,
// idle in transaction since 2026-12-05T10:00:00Z, AccessShareLock on public.t)". "" when none is
// found (the holder finished in the meantime). Never throws: on error it returns "".
struct LockHolders {
  std::string text;    // the description above ("" when none)
  bool shared = false;  // some holder locks the parent or another partition than `partition`
};
LockHolders DescribeLockHolders(pqxx::connection_base& conn, const QualifiedName& parent,
                                const QualifiedName& partition);

}  // namespace pgpart
