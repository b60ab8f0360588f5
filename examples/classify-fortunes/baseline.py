"""Bag-of-words baseline: TF-IDF of word unigrams and bigrams, multinomial logistic regression
(scikit-learn), trained on train.tsv, scored on test.tsv. Usage: baseline.py DATA_DIR"""
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


def main(data):
    ytr, xtr = read(f"{data}/train.tsv")
    yte, xte = read(f"{data}/test.tsv")
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    clf = LogisticRegression(C=10.0, max_iter=2000)
    clf.fit(vec.fit_transform(xtr), ytr)
    pred = clf.predict(vec.transform(xte))
    print(f"baseline (tf-idf 1-2 grams + logistic regression): train {len(ytr)}, test {len(yte)}, "
          f"accuracy {accuracy_score(yte, pred):.4f}, macro F1 {f1_score(yte, pred, average='macro'):.4f}")


if __name__ == "__main__":
    main(sys.argv[1])
