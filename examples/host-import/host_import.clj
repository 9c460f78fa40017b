;; Host imports: Clojure functions as a module's imports, its exports as Clojure functions.
;;
;;   bin/clojure -M examples/host-import/host_import.clj
(require '[clj-wasi.wasm :as wasm])

(def m (wasm/module "examples/host-import/add.wasm"))

(println "imports:" (mapv (juxt :module :name :params :results) (wasm/imports m)))

(with-open [inst (wasm/load m {:imports {"env" {"square" (fn [x] (* x x))
                                                "log" {:fn (fn [inst ptr len]
                                                             (println "guest says:" (wasm/read-string inst ptr len)))
                                                       :instance? true}}}})]
  ((wasm/fn inst "hello"))
  (println "sum of squares 1..10 =" ((wasm/fn inst "sum_squares") 10)))

;; a missing import is reported at load time, all of them at once
(try
  (wasm/load m {:imports {}})
  (catch clojure.lang.ExceptionInfo e
    (println "without imports:" (:type (ex-data e)) (mapv :name (:missing (ex-data e))))))
