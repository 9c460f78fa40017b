;; A property test of a guest program against a Clojure reference, through in-memory
;; files: tac.wasm reads /data/in.txt and writes /data/out.txt, which `run` returns.
;;
;;   bin/clojure -Sdeps '{:deps {org.clojure/test.check {:mvn/version "1.1.3"}}}' \
;;     -M examples/files-property/property.clj
(require '[clj-wasi.wasm :as wasm]
         '[clojure.string :as str]
         '[clojure.test.check :as tc]
         '[clojure.test.check.generators :as gen]
         '[clojure.test.check.properties :as prop])

(def tac (wasm/module "examples/files-property/tac.wasm"))

(defn reference
  "tac in Clojure: the lines of `s` (split at \\n only; a final \\n ends the last
  line) reversed, each ending in a newline."
  [s]
  (let [lines (str/split s #"\n" -1)
        lines (if (= "" (peek lines)) (pop lines) lines)]
    (apply str (map #(str % "\n") (reverse lines)))))

(def gen-text
  "Lines of any characters (empty ones too), with or without a final newline."
  (gen/let [lines (gen/vector (gen/fmap #(str/replace % "\n" "") gen/string) 0 20)
            final-newline gen/boolean]
    (str (str/join "\n" lines) (when (and final-newline (seq lines)) "\n"))))

(def tac-matches-reference
  (prop/for-all [text gen-text]
    (let [{:keys [exit files]} (wasm/run tac {:files {"/data/in.txt" text}})]
      (and (zero? exit)
           (= text (files "/data/in.txt"))
           (= (reference text) (files "/data/out.txt"))))))

(let [result (tc/quick-check 200 tac-matches-reference)]
  (prn (select-keys result [:pass? :num-tests :seed :shrunk]))
  (shutdown-agents)
  (System/exit (if (:pass? result) 0 1)))
