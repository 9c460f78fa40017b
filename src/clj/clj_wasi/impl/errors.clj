(ns clj-wasi.impl.errors
  "Turns the Java core's WasmException into ex-info with `:type :wasm/<type>`."
  (:require [clj-wasi.impl.prep]) ; before the :import: a clear message if the classes are missing
  (:import (cljwasi WasmException)
           (java.util List Map)))

(def ^:private keyword-valued
  "Data keys whose string values (or lists of them) read better as keywords."
  #{:kind :limit :engine :params :results :provided-params :provided-results :key})

(defn- ->clj [x]
  (cond
    (instance? Map x) (into {} (map (fn [[k v]]
                                      (let [k (keyword k)]
                                        [k (cond
                                             (not (keyword-valued k)) (->clj v)
                                             (string? v) (keyword v)
                                             (instance? List v) (mapv keyword v)
                                             :else (->clj v))])))
                            x)
    (instance? List x) (mapv ->clj x)
    :else x))

(def ^:private cause-kept
  "The types whose Java cause travels with the ex-info: a host function's own exception,
  and the host's exception behind a set-up failure (the port in use, the path the OS
  refused). For the others (traps, limits, ...) REPLs would report Chicory's or the
  JDK's exception as the root cause, where our message says more."
  #{"host-error" "io" "bad-option"})

(defn ->ex-info
  "An ex-info for a WasmException: message kept, data keywordized, the cause kept for
  the types in cause-kept."
  [^WasmException e]
  (ex-info (.getMessage e)
           (assoc (->clj (.data e)) :type (keyword "wasm" (.type e)))
           (when (cause-kept (.type e)) (.getCause e))))

(defmacro translating
  "Runs body, rethrowing any WasmException as ex-info."
  [& body]
  `(try ~@body
        (catch WasmException e# (throw (->ex-info e#)))))

(defn fail
  "Throws an ex-info of `:type :wasm/<type>` with `data`."
  [type msg data]
  (throw (ex-info msg (assoc data :type (keyword "wasm" (name type))))))
