"""Bag-of-words baseline: TF-IDF of word unigrams and bigrams, multinomial logistic regression
(scikit-learn). The inverse regularisation C is chosen on val.tsv (the same budget of tuning the
Tock runs get), then the model trained on train.tsv is scored on test.tsv.
Usage: baseline.py DATA_DIR"""
import sys

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score


def read(path):
    labels, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            label, text = line.rstrip("\n").split("\t", 1)
            labels.append(label)
            texts.append(text)
    return labels, texts


def fit(xtr, ytr, c):
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    clf = LogisticRegression(C=c, max_iter=2000)
    clf.fit(vec.fit_transform(xtr), ytr)
    return lambda x: clf.predict(vec.transform(x))


def main(data):
    ytr, xtr = read(f"{data}/train.tsv")
    yva, xva = read(f"{data}/val.tsv")
    yte, xte = read(f"{data}/test.tsv")
    val = {c: accuracy_score(yva, fit(xtr, ytr, c)(xva)) for c in (0.1, 1.0, 10.0, 100.0)}
    best = max(val, key=lambda c: (val[c], -c))
    pred = fit(xtr, ytr, best)(xte)
    print("val accuracy by C: " + ", ".join(f"{c:g}: {a:.4f}" for c, a in val.items()))
    print(f"baseline (tf-idf 1-2 grams + logistic regression, C={best:g}): train {len(ytr)}, "
          f"test {len(yte)}, accuracy {accuracy_score(yte, pred):.4f}, "
          f"macro F1 {f1_score(yte, pred, average='macro'):.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
