// SPDX-License-Identifier: BSD-3-Clause
// A fuzz target's smoke test, for compilers without libFuzzer: every file of the target's seed
// corpus, then mutations of them from a fixed seed (bit flips, cuts, splices, repeated runs that
// nest deeper, inserted JSON tokens). A crash, a sanitizer report or a hang fails the test.
// LIVESTORE_FUZZ_RUNS sets the number of mutations (default 20,000), LIVESTORE_FUZZ_SEED the seed.
#include "fuzztarget.h"

#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qelapsedtimer.h>
#include <QtCore/qfile.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qrandom.h>

#include <cstdio>

namespace {

QByteArray mutate(const QList<QByteArray> &corpus, QRandomGenerator &random)
{
    static const QByteArray tokens[] = {"{", "}", "[", "]", "\"", ",", ":", "null", "true", "-1",
                                        "1e308", "\"_tag\"", "\"Chunk\"", "\"Exit\"", "\\u0000",
                                        "\\ud800", "\xff", "\xc3", "0.5", "9007199254740993"};
    QByteArray input = corpus.at(random.bounded(int(corpus.size())));
    const int steps = random.bounded(1, 6);
    for (int s = 0; s < steps; ++s) {
        const qsizetype size = input.size();
        switch (random.bounded(6)) {
        case 0: // flip a bit
            if (size > 0) {
                const qsizetype at = random.bounded(int(size));
                input[at] = char(input.at(at) ^ (1 << random.bounded(8)));
            }
            break;
        case 1: // cut
            input.truncate(size > 0 ? random.bounded(int(size)) : 0);
            break;
        case 2: // splice with another entry
            input = input.left(size > 0 ? random.bounded(int(size) + 1) : 0)
                    + corpus.at(random.bounded(int(corpus.size())));
            break;
        case 3: { // repeat a run, which nests brackets deeper
            if (size == 0)
                break;
            const qsizetype from = random.bounded(int(size));
            const qsizetype length = std::min<qsizetype>(size - from, random.bounded(1, 16));
            const QByteArray run = input.mid(from, length);
            input.insert(from, run.repeated(random.bounded(1, 200)));
            break;
        }
        case 4: // insert a token
            input.insert(size > 0 ? random.bounded(int(size) + 1) : 0,
                         tokens[random.bounded(int(std::size(tokens)))]);
            break;
        default: // delete a byte
            if (size > 0)
                input.remove(random.bounded(int(size)), 1);
            break;
        }
    }
    return input;
}

void run(const QByteArray &input)
{
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t *>(input.constData()), std::size_t(input.size()));
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    // Most inputs are refused, each with a warning: the verdict is the exit code.
    QLoggingCategory::setFilterRules(QStringLiteral("livestore.*=false"));
    const QString corpusDir = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QString();
    QList<QByteArray> corpus;
    const QDir dir(corpusDir);
    for (const QString &name : dir.entryList(QDir::Files, QDir::Name)) {
        QFile f(dir.filePath(name));
        if (f.open(QIODevice::ReadOnly))
            corpus.append(f.readAll());
    }
    if (corpus.isEmpty()) {
        std::fprintf(stderr, "no seed corpus in %s\n", qPrintable(corpusDir));
        return 1;
    }
    const int runs = qEnvironmentVariableIsSet("LIVESTORE_FUZZ_RUNS")
            ? qEnvironmentVariableIntValue("LIVESTORE_FUZZ_RUNS") : 20000;
    const quint32 seed = qEnvironmentVariableIsSet("LIVESTORE_FUZZ_SEED")
            ? quint32(qEnvironmentVariableIntValue("LIVESTORE_FUZZ_SEED")) : 20261206u;
    QElapsedTimer timer;
    timer.start();
    for (const QByteArray &input : std::as_const(corpus))
        run(input);
    QRandomGenerator random(seed);
    for (int i = 0; i < runs; ++i)
        run(mutate(corpus, random));
    // The closing line CTest-less runners understand; ctest itself judges the exit code.
    std::printf("%lld seed inputs and %d mutations (seed %u) in %lld ms: no crash\n",
                qint64(corpus.size()), runs, seed, timer.elapsed());
    return 0;
}
