(ns clj-wasi.doc-examples-test
  "The documented examples run as written. Every ```clojure block of README.md,
  docs/USAGE.md and examples/*.md is evaluated, in order, in a fresh namespace per
  file (as if pasted into a fresh REPL of the :test alias, started in the project
  root); a block whose info string says `no-eval` (```clojure no-eval) is a fragment or
  a file's content and is skipped. After a top-level form, a `;=> value` comment is
  checked with = (unless it elides with ...), and a `;; ExceptionInfo:` comment means
  the form must throw one. The example scripts examples/**/*.clj run as scripts."
  (:require [clj-wasi.test-util :refer [java-cmd sh]]
            [clojure.java.io :as io]
            [clojure.spec.test.alpha :as stest]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]])
  (:import (clojure.lang LineNumberingPushbackReader)
           (java.io StringReader StringWriter)))

(def ^:private doc-files
  (concat ["README.md" "docs/USAGE.md"]
          (->> (file-seq (io/file "examples"))
               (filter #(str/ends-with? (.getName ^java.io.File %) ".md"))
               (map str) sort)))

(defn code-blocks
  "The ```clojure blocks of markdown `text` meant to run: [{:line n :code \"...\"}]."
  [text]
  (->> (re-seq #"(?m)^( *)```clojure([^\n]*)\n((?s:.*?))^ *```" text)
       (remove (fn [[_ _ info]] (str/includes? info "no-eval")))
       (map (fn [[whole indent _ code]]
              {:line (inc (count (re-seq #"\n" (subs text 0 (str/index-of text whole)))))
               :code (str/join "\n" (map #(if (str/starts-with? % indent) (subs % (count indent)) %)
                                         (str/split-lines code)))}))))

(defn- expectation
  "What the comment after a form (`tail`: the rest of its last line, then the lines
  after) says: {:value text}, {:throws true} or nil."
  [tail]
  (let [[first-line & more] (drop-while str/blank? (map str/trim tail))]
    (cond
      (nil? first-line) nil
      (str/starts-with? first-line ";=>")
      {:value (str/join "\n" (cons (subs first-line 3)
                                   (->> more
                                        (take-while #(and (str/starts-with? % ";")
                                                          (not (str/starts-with? % ";;"))
                                                          (not (str/starts-with? % ";=>"))))
                                        (map #(subs % 1)))))}
      (str/starts-with? first-line ";; ExceptionInfo") {:throws true})))

(defn forms
  "The top-level forms of `code` with what their comments expect."
  [code]
  (let [lines (vec (str/split-lines code))
        rdr (LineNumberingPushbackReader. (StringReader. code))]
    (loop [acc []]
      (let [form (read {:eof ::eof} rdr)]
        (if (= ::eof form)
          acc
          (let [line (dec (.getLineNumber rdr))
                col (dec (.getColumnNumber rdr))
                this (get lines line "")
                ;; a comment on the last line of a multi-line form belongs to its last part
                same-line (if (= (inc line) (:line (meta form) (inc line))) (subs this (min col (count this))) "")
                tail (cons same-line (subvec lines (min (inc line) (count lines))))]
            (recur (conj acc {:form form :expect (expectation tail)}))))))))

(defn- check-form [where {:keys [form expect]}]
  (let [result (try {:value (eval form)}
                    (catch Throwable t {:thrown t}))
        thrown (some-> (:thrown result) (#(if (instance? clojure.lang.Compiler$CompilerException %)
                                            (or (ex-cause %) %) %)))]
    (cond
      (:throws expect)
      (is (instance? clojure.lang.ExceptionInfo thrown)
          (str where ": expected an ExceptionInfo from " (pr-str form)))

      thrown
      (is false (str where ": " (pr-str form) " threw " thrown))

      (and (:value expect) (not (str/includes? (:value expect) "...")))
      (let [expected (try (read-string (:value expect)) (catch Exception _ ::unreadable))]
        (when-not (= ::unreadable expected)
          (is (= expected (:value result)) (str where ": " (pr-str form))))))))

(deftest every-documented-example-runs
  (doseq [file doc-files
          :let [blocks (code-blocks (slurp file))]]
    (testing file
      (is (or (seq blocks) (str/starts-with? file "examples/")) (str file " has no clojure block"))
      (let [ns-sym (gensym "doc-example-")]
        (try
          (binding [*ns* (create-ns ns-sym)
                    *out* (StringWriter.)
                    *err* (StringWriter.)]
            (refer-clojure)
            (doseq [{:keys [line code]} blocks
                    f (forms code)]
              (check-form (str file ":" line) f)))
          (finally
            ;; an example may instrument clj-wasi.wasm (docs/USAGE.md does): undo it,
            ;; so that the tests after this one run as usual
            (stest/unstrument)
            (remove-ns ns-sym)))))))

(deftest the-example-scripts-run
  (let [scripts (->> (file-seq (io/file "examples"))
                     (filter #(str/ends-with? (.getName ^java.io.File %) ".clj"))
                     (map str) sort)
        runs (mapv (fn [s] [s (future (sh (java-cmd "clojure.main" s)))]) scripts)]
    (is (seq scripts))
    (doseq [[s r] runs]
      (let [{:keys [exit out err]} @r]
        (is (= 0 exit) (str s ": " err))
        (is (not (str/includes? err "Exception")) (str s ": " err))
        (is (seq out) s)))))

(deftest the-harness-reads-expectations
  (is (= [{:form '(+ 1 2) :expect {:value " 3"}}
          {:form '(inc 1) :expect {:value " {:a 1,\n     :b 2}"}}
          {:form '(/ 1 0) :expect {:throws true}}
          {:form '(dec 1) :expect nil}]
         (forms "(+ 1 2) ;=> 3\n(inc 1)\n;=> {:a 1,\n;     :b 2}\n;; a note\n(/ 1 0)\n;; ExceptionInfo: boom\n(dec 1)")))
  (is (= [{:line 3 :code "(a)\n(b)"}]
         (code-blocks "x\n\n```clojure\n(a)\n(b)\n```\n```clojure no-eval\n(c)\n```\n```sh\nls\n```\n"))))
