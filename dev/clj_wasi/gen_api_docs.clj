(ns clj-wasi.gen-api-docs
  "Writes docs/API.md from the docstrings of clj-wasi.wasm (the manual; their option
  lists come from clj-wasi.impl.options' table) and its s/fdefs (in clj-wasi.specs):

      bin/clojure -M dev/clj_wasi/gen_api_docs.clj

  Each public function, in source order, gets its arglists, its docstring (indented
  blocks become code blocks) and the :args of its spec."
  (:require [clj-wasi.specs]
            [clj-wasi.wasm]
            [clojure.spec.alpha :as s]
            [clojure.string :as str]))

(def ^:private ns-sym 'clj-wasi.wasm)
(def ^:private out-file "docs/API.md")
(def ^:private command "bin/clojure -M dev/clj_wasi/gen_api_docs.clj")

(defn- dedent
  "Docstring lines without the indentation (2 at most: the ns's convention) of the
  lines after the first."
  [doc]
  (let [[first-line & more] (str/split-lines doc)
        indent (->> more (remove str/blank?) (map #(count (re-find #"^ *" %))) (apply min 0x7fffffff))
        indent (min 2 indent)] ; the docstrings' continuation lines are indented 2
    (cons first-line (map #(if (str/blank? %) "" (subs % (min indent (count %)))) more))))

(defn- indented? [line] (str/starts-with? line " "))

(defn- fenced [lines]
  (let [lines (->> lines (drop-while str/blank?) reverse (drop-while str/blank?) reverse)
        indent (apply min (map #(count (re-find #"^ *" %)) (remove str/blank? lines)))
        body (map #(if (str/blank? %) "" (subs % indent)) lines)]
    (str "```" (if (re-find #"^[(;]" (first body)) "clojure" "text") "\n"
         (str/join "\n" body) "\n```")))

(defn- markdown
  "A docstring as markdown: prose as paragraphs; each run of indented lines (code
  examples, option tables; blank lines inside it kept) as a fenced block, clojure when
  it starts with ( or ;, text otherwise."
  [doc]
  (let [lines (dedent doc)]
    (loop [[l & more :as ls] lines, out [], para [], code []]
      (cond
        (empty? ls)
        (str/join "\n\n" (cond-> out
                            (seq para) (conj (str/join "\n" para))
                            (some (complement str/blank?) code) (conj (fenced code))))
        (indented? l)
        (recur more (cond-> out (seq para) (conj (str/join "\n" para))) [] (conj code l))
        (str/blank? l)
        (if (seq code)
          (recur more out para (conj code l))
          (recur more (cond-> out (seq para) (conj (str/join "\n" para))) [] []))
        :else
        (recur more (cond-> out (some (complement str/blank?) code) (conj (fenced code)))
               (conj para l) [])))))

(defn- args-spec [sym]
  (when-let [spec (s/get-spec sym)]
    (when-let [args (:args spec)]
      (-> (pr-str (s/describe args))
          (str/replace ":clj-wasi.specs/" "::")
          (str/replace ":clj-wasi.impl.options/" ":options/")))))

(defn- entry [v]
  (let [{:keys [name arglists doc]} (meta v)
        sym (symbol (str ns-sym) (str name))]
    (str/join "\n\n"
              (remove nil?
                      [(str "### `" name "`")
                       (str "```clojure\n"
                            (str/join "\n" (map #(pr-str (cons name %)) arglists))
                            "\n```")
                       (when doc (markdown doc))
                       (when-let [a (args-spec sym)] (str "Spec `:args`: `" a "`"))]))))

(defn generate []
  (let [vars (->> (ns-publics ns-sym) vals
                  (filter #(fn? @%))
                  (remove #(str/starts-with? (str (:name (meta %))) "->"))
                  (sort-by #(:line (meta %))))]
    (str "# clj-wasi API: `clj-wasi.wasm`\n\n"
         "<!-- Generated from the docstrings; do not edit. Regenerate with:\n"
         "     " command " -->\n\n"
         "Generated from the docstrings and specs of `src/clj/clj_wasi/wasm.clj` by `"
         command "`.\nA guide with worked examples is in [USAGE.md](USAGE.md).\n\n"
         (markdown (:doc (meta (find-ns ns-sym)))) "\n\n"
         "## Functions\n\n"
         (str/join "\n" (map #(str "- [`" (:name (meta %)) "`](#" (str/replace (str (:name (meta %))) #"[^a-z0-9-]" "") ")") vars))
         "\n\n"
         (str/join "\n\n" (map entry vars))
         "\n")))

(defn -main [& _]
  (spit out-file (generate))
  (println "wrote" out-file))

(-main)
