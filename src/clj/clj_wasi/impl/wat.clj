(ns clj-wasi.impl.wat
  "WebAssembly text (.wat) input, converted to a binary module by wabt's wat2wasm.
  Chicory's own wabt build (com.dylibso.chicory:wabt, wat2wasm compiled to Java)
  would need no external program, but it could not be fetched for this project, so
  the wat2wasm on the PATH (or in $WAT2WASM) does the work."
  (:require [clj-wasi.impl.errors :as errors]
            [clojure.string :as str])
  (:import (java.io File IOException)
           (java.nio.file Files)
           (java.nio.file.attribute FileAttribute)))

(set! *warn-on-reflection* true)

(defn wat-name?
  "Whether file name `n` is a WebAssembly text file's (by its .wat extension)."
  [^String n]
  (str/ends-with? (str/lower-case n) ".wat"))

(defn ->wasm
  "The binary module for text module `f`, by running wat2wasm (every feature enabled)."
  ^bytes [^File f]
  (when-not (.isFile f)
    (errors/fail :not-found (str "no such module file: " f) {:path (str f)}))
  (let [out (Files/createTempFile "clj-wasi" ".wasm" (make-array FileAttribute 0))
        tool (or (System/getenv "WAT2WASM") "wat2wasm")]
    (try
      (let [^Process p (try
                (-> (ProcessBuilder. ^"[Ljava.lang.String;"
                                     (into-array String [tool "--enable-all" (str f) "-o" (str out)]))
                    (.redirectErrorStream true)
                    (.start))
                (catch IOException e
                  (errors/fail :unsupported
                               (format "%s: reading WebAssembly text needs wabt's wat2wasm on the PATH (%s)"
                                       (.getName f) (.getMessage e))
                               {:name (.getName f) :path (str f)})))
            msg (slurp (.getInputStream p))]
        (if (zero? (.waitFor p))
          (Files/readAllBytes out)
          (errors/fail :malformed (format "%s: invalid WebAssembly text: %s" (.getName f)
                                          (str/join " " (take 3 (str/split-lines (str/trim msg)))))
                       {:name (.getName f) :path (str f)})))
      (finally (Files/deleteIfExists out)))))
