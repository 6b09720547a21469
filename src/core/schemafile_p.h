// SPDX-License-Identifier: BSD-3-Clause
// What the schema file's reader (schemafile.cpp) and writer (schemafilewriter.cpp) share.
#ifndef LIVESTORE_SCHEMAFILE_P_H
#define LIVESTORE_SCHEMAFILE_P_H

#include <QtCore/qglobal.h>

namespace LiveStore {

// The schema file format this build reads and writes ("version" at the top level).
constexpr qint64 SupportedFormatVersion = 1;

} // namespace LiveStore

#endif // LIVESTORE_SCHEMAFILE_P_H
