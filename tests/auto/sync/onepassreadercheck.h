// SPDX-License-Identifier: BSD-3-Clause
// What the tests of the one-pass frame readers (tst_pushframereader, tst_pullframereader) share:
// checking a frame against the general path, and mutating frames as the fuzz smoke tests do.
#ifndef ONEPASSREADERCHECK_H
#define ONEPASSREADERCHECK_H

#include <QtCore/qbytearray.h>
#include <QtCore/qlist.h>
#include <QtCore/qrandom.h>
#include <QtTest/qtest.h>

#include <algorithm>
#include <iterator>

namespace OnePassReaderCheck {

// Why a reader's result differs from the general path's, or an empty string when it does not
// (also when the reader declines); `*taken` tells whether the reader took the frame.
using Difference = QString (*)(const QByteArray &frame, bool *taken);

// Checks one frame (a test failure when the two differ); returns whether the reader took it.
inline bool check(Difference difference, const QByteArray &frame)
{
    bool taken = false;
    const QString diff = difference(frame, &taken);
    if (!diff.isEmpty())
        qWarning("frame: %s", frame.left(2000).constData());
    [&] { QVERIFY2(diff.isEmpty(), qPrintable(diff)); }();
    return taken;
}

inline QByteArray replaced(QByteArray frame, const QByteArray &from, const QByteArray &to)
{
    const qsizetype at = frame.indexOf(from);
    if (at < 0)
        qFatal("no %s in the frame", from.constData());
    return frame.replace(at, from.size(), to);
}

// Checks every prefix of `frame` (none of which a reader may take: a frame is whole), `frame` with
// each byte cut out, and with each byte doubled.
inline void checkCuts(Difference difference, const QByteArray &frame)
{
    for (qsizetype n = 0; n < frame.size(); ++n) {
        bool taken = false;
        difference(frame.left(n), &taken);
        [&] { QVERIFY2(!taken, "a reader took a frame cut short"); }();
        check(difference, QByteArray(frame).remove(n, 1));
        check(difference, QByteArray(frame).insert(n, frame.at(n)));
        if (QTest::currentTestFailed())
            return;
    }
}

// Checks `runs` mutants of the corpus (bit flips, cuts, inserted and overwritten JSON tokens,
// one to three each, from a fixed seed); returns how many the reader took.
inline int checkMutations(Difference difference, const QList<QByteArray> &corpus,
                          const QList<QByteArray> &tokens, int runs)
{
    QRandomGenerator random(20261207);
    int taken = 0;
    for (int run = 0; run < runs; ++run) {
        QByteArray input = corpus.at(random.bounded(int(corpus.size())));
        const int steps = random.bounded(1, 4);
        for (int s = 0; s < steps; ++s) {
            const auto size = int(input.size());
            const QByteArray &token = tokens.at(random.bounded(int(tokens.size())));
            switch (random.bounded(4)) {
            case 0:
                if (size > 0)
                    input[random.bounded(size)] ^= char(1 << random.bounded(8));
                break;
            case 1:
                if (size > 0) {
                    const int at = random.bounded(size);
                    input.remove(at, random.bounded(1, std::min(size - at, 8) + 1));
                }
                break;
            case 2:
                input.insert(random.bounded(size + 1), token);
                break;
            case 3:
                if (size > 0) {
                    const int at = random.bounded(size);
                    input.replace(at, std::min<qsizetype>(token.size(), size - at), token);
                }
                break;
            }
        }
        taken += check(difference, input);
        if (QTest::currentTestFailed())
            break;
    }
    return taken;
}

} // namespace OnePassReaderCheck

#endif // ONEPASSREADERCHECK_H
