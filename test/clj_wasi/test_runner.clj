(ns clj-wasi.test-runner
  "The project's clojure.test runner (kaocha cannot be fetched here; it runs these
  tests unchanged where it can). Finds every `*-test` namespace under test/, takes
  optional focus arguments (`ns` or `ns/var`), prints `N passed, N failed` as its
  last line, and exits non-zero on any failure or when no test ran."
  (:require [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :as t]))

(defn- file->ns [^java.io.File root ^java.io.File f]
  (-> (str (.relativize (.toPath root) (.toPath f)))
      (str/replace #"\.clj$" "")
      (str/replace java.io.File/separator ".")
      (str/replace "_" "-")
      symbol))

(defn- discover [dir]
  (let [root (io/file dir)]
    (->> (file-seq root)
         (filter #(str/ends-with? (.getName ^java.io.File %) "_test.clj"))
         (map #(file->ns root %))
         sort)))

(defn -main [& args]
  (let [focus    (map symbol args)
        focus-ns (set (map #(symbol (or (namespace %) (name %))) focus))
        nss      (cond->> (discover "test") (seq focus) (filter focus-ns))
        _        (run! require nss)
        var-ok?  (fn [v] (or (empty? focus)
                             (some #(or (= % (symbol v)) (= % (ns-name (:ns (meta v))))) focus)))
        tally    (atom {:pass 0 :fail 0})
        failed?  (atom false)
        report   t/report]
    (binding [t/*report-counters* (ref t/*initial-report-counters*)
              t/report (fn [m]
                         (case (:type m)
                           :begin-test-var (do (reset! failed? false)
                                               (println "  " (-> m :var meta :name)))
                           (:fail :error) (reset! failed? true)
                           :end-test-var (swap! tally update (if @failed? :fail :pass) inc)
                           nil)
                         (report m))]
      (doseq [n nss]
        (let [vars (->> (ns-interns n) vals (filter (comp :test meta)) (filter var-ok?)
                        (sort-by (comp :line meta)))]
          (when (seq vars)
            (t/do-report {:type :begin-test-ns :ns (the-ns n)})
            (t/test-vars vars)
            (t/do-report {:type :end-test-ns :ns (the-ns n)}))))
      (let [counters @t/*report-counters*
            {:keys [pass fail]} @tally]
        (t/do-report (assoc counters :type :summary))
        (println (format "%d passed, %d failed" pass fail))
        (flush)
        (shutdown-agents)
        (System/exit (if (and (zero? fail) (pos? pass) (t/successful? counters)) 0 1))))))
